/**
 * Child processes under test: spawn (optionally pinned to CPUs with taskset), wait until they answer HTTP,
 * stop with SIGTERM (SIGKILL after a grace period). Output goes to a log file, never through the runner.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

let tasksetPath: string | null | undefined;
/** Path of taskset, or null when it is not installed. */
export function taskset(): string | null {
  if (tasksetPath === undefined) {
    try {
      tasksetPath = execFileSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).trim() || null;
    } catch {
      tasksetPath = null;
    }
  }
  return tasksetPath;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface SpawnOptions {
  name: string;
  /** Node script and its arguments. */
  script: string;
  nodeArgs?: string[];
  env: NodeJS.ProcessEnv;
  /** CPU list for taskset -c (e.g. "0"); undefined = not pinned. */
  cpus?: string;
  logFile: string;
  port: number;
  /** Path polled until it answers (any status below 500 when `anyStatus`, else 200). */
  readyPath: string;
  anyStatus?: boolean;
  readyTimeoutMs?: number;
}

export interface ChildServer {
  name: string;
  pid: number;
  port: number;
  baseUrl: string;
  logFile: string;
  cpus?: string;
  proc: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  stop(graceMs?: number): Promise<number | string>;
}

/** GET `url`; resolves with the status code. */
export function getStatus(url: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}

export async function spawnServer(o: SpawnOptions): Promise<ChildServer> {
  const out = fs.openSync(o.logFile, 'a');
  const nodeCmd = [process.execPath, ...(o.nodeArgs ?? []), o.script];
  const ts = o.cpus !== undefined ? taskset() : null;
  const [cmd, ...args] = ts ? [ts, '-c', o.cpus as string, ...nodeCmd] : nodeCmd;
  // taskset execs node in place, so the pid is node's.
  const proc = spawn(cmd as string, args, { env: o.env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let dead: number | string | undefined;
  void exited.then((c) => (dead = c));
  if (proc.pid === undefined) throw new Error(`${o.name}: spawn failed`);
  const baseUrl = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (dead !== undefined) throw new Error(`${o.name} exited (${dead}) before it was ready:\n${tail(o.logFile)}`);
    try {
      const status = await getStatus(baseUrl + o.readyPath, 1000);
      if (status === 200 || (o.anyStatus && status < 500)) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${o.name} not ready after ${o.readyTimeoutMs ?? 30_000} ms:\n${tail(o.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = proc.pid;
  return {
    name: o.name,
    pid,
    port: o.port,
    baseUrl,
    logFile: o.logFile,
    cpus: o.cpus,
    proc,
    exited,
    async stop(graceMs = 5000) {
      if (dead !== undefined) return dead;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Pin an existing process (all its threads) to `cpus`; false when taskset is missing or refuses. */
export function pinProcess(pid: number, cpus: string): boolean {
  const ts = taskset();
  if (!ts) return false;
  try {
    execFileSync(ts, ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
