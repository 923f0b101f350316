/**
 * Redis for test/services.
 *
 * - The shared server (TEST_REDIS_URL, default redis://127.0.0.1:6379): every test file gets its own key
 *   prefix and deletes only its own keys (SCAN + DEL; never FLUSHDB/FLUSHALL, other files and other
 *   engineers' runs share the server).
 * - A private redis-server per test that needs to kill or restart it (chaos tests).
 *
 * When a server cannot be reached the helpers throw an error naming the URL: these tests never skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const CONNECT_TIMEOUT_MS = 5000;

export function sharedRedisUrl(): string {
  return process.env.TEST_REDIS_URL || DEFAULT_REDIS_URL;
}

/** The URL without its password, for error messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function currentTestFile(): string | undefined {
  try {
    return expect.getState().testPath ?? undefined;
  } catch {
    return undefined; // outside a jest test file (e.g. globalSetup)
  }
}

let filePrefix: string | undefined;

/** A fresh prefix `t:<file>:<pid>:<random>:` (at most 48 characters, below the service's 64 limit). */
export function newKeyPrefix(): string {
  const file = currentTestFile();
  const stem = file ? path.basename(file).replace(/\.test\.[cm]?[jt]s$/, '').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 20) : 'x';
  return `t:${stem}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/**
 * The shared Redis and this test file's key prefix. Jest gives every test file its own module registry, so
 * the prefix is the same for every call within one file and different between files (and between runs).
 */
export function redisUrlForTest(): { url: string; prefix: string } {
  filePrefix ??= newKeyPrefix();
  return { url: sharedRedisUrl(), prefix: filePrefix };
}

/** An ioredis client that fails instead of retrying forever; connected, or throws naming the URL. */
export async function connectRedis(url: string = sharedRedisUrl()): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket error (ECONNREFUSED...) says more than connect()'s "Connection is closed."
  let socketError: Error | undefined;
  client.on('error', (e: Error) => (socketError ??= e));
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    const err = socketError ?? (e instanceof Error ? e : new Error(String(e)));
    const reason = `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim().replace(/\.$/, '');
    throw new Error(
      `Redis is not reachable at ${redactUrl(url)}: ${reason}. test/services needs a running server ` +
        '(start it with `redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log`, ' +
        'or point TEST_REDIS_URL at another one).',
      { cause: e },
    );
  }
  return client;
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\^]/g, (c) => `\\${c}`);
}

/** Delete every key that starts with `prefix` (SCAN MATCH + DEL in batches); returns how many were deleted. */
export async function flushPrefix(prefix: string, url: string = sharedRedisUrl()): Promise<number> {
  if (prefix.length < 3) throw new Error(`flushPrefix: refusing the prefix ${JSON.stringify(prefix)} (too short; it would touch other tests' keys)`);
  const client = await connectRedis(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${globEscape(prefix)}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}

/**
 * PING over a raw socket (no client library, no retries): resolves true on +PONG (or a -NOAUTH/-LOADING error,
 * i.e. something Redis answered), false when the connection is refused, reset or times out.
 */
export function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let buf = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

/** A port that was free a moment ago (the OS's choice for port 0 on 127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  /** pid of the current redis-server process (changes after restart()). */
  readonly pid: number;
  /**
   * Send `signal` (default SIGKILL) to redis-server and wait until it has exited, so the port refuses
   * connections when this resolves. SIGSTOP only freezes it (connections then hang): it resolves at once;
   * restart() or stop() end the frozen process.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start redis-server again on the same port (killing the current one first if it still runs); data is lost. */
  restart(): Promise<void>;
  /** Terminate it and remove its directory. Idempotent. */
  stop(): Promise<void>;
  /** redis-server's stdout/stderr so far (all incarnations). */
  output(): string;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackForExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A failed test must not leave redis-servers behind.
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
}

function exitedPromise(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function waitForPing(port: number, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}) before answering PING:\n${output()}`);
    }
    if (await pingRedis('127.0.0.1', port, 500)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Spawn a private redis-server on a free port (no persistence, its own temp dir) and wait until it answers PING.
 * `extraArgs` are appended (later arguments win), e.g. ['--appendonly', 'yes', '--appendfsync', 'always'] for a
 * Redis that keeps its data across kill() + restart() (the temp dir is kept until stop()).
 */
export async function startPrivateRedis(options: { timeoutMs?: number; binary?: string; extraArgs?: string[] } = {}): Promise<PrivateRedis> {
  const timeoutMs = options.timeoutMs ?? 10000;
  const binary = options.binary ?? process.env.TEST_REDIS_SERVER ?? 'redis-server';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imatinib-redis-'));
  let out = '';
  let child: ChildProcess | undefined;
  let stopped = false;

  const spawnOn = async (port: number): Promise<void> => {
    const c = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', ...(options.extraArgs ?? [])], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const spawnError = new Promise<never>((_, reject) =>
      c.once('error', (e) => reject(new Error(`cannot start ${binary} (is Redis installed? set TEST_REDIS_SERVER to its path): ${e.message}`))),
    );
    c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    trackForExit(c);
    child = c;
    await Promise.race([waitForPing(port, c, timeoutMs, () => out), spawnError]);
  };

  // The free port can be taken between freePort() and redis-server's bind: try a few.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await spawnOn(port);
      break;
    } catch (e) {
      if (child) {
        child.kill('SIGKILL');
        await exitedPromise(child);
      }
      if (attempt >= 3 || !/in use|bind/i.test(out)) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    }
  }

  const killCurrent = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGTSTP') return;
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exitedPromise(c);
    clearTimeout(timer);
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      await killCurrent(signal);
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      await killCurrent('SIGKILL');
      await spawnOn(port);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child?.signalCode === null && child.exitCode === null) child.kill('SIGCONT'); // in case it was frozen
      await killCurrent('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
    output: () => out,
  };
}
