/**
 * Runs the BUILT service (node dist/src/main.js) as a child process for test/services. The suite's
 * globalSetup (test/services/global-setup.ts) compiles dist/ once per run, so this is what `npm start` runs.
 *
 * Like test/helpers/child.ts (which runs src/main.ts through tsx for the normal suite) it starts with PORT=0
 * and reads the real address from the JSON `listening` log line; in addition it keeps the parsed log lines,
 * can wait for a given line, and stops the process with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const MAIN_JS = path.join(ROOT, 'dist/src/main.js');

export type LogLine = Record<string, unknown> & { level?: string; message?: string };
export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

export interface ServiceProcess {
  /** http://127.0.0.1:<port> from the `listening` line. */
  baseUrl: string;
  pid: number;
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  /** Every stdout/stderr line that parsed as a JSON object, in order. */
  logs(): LogLine[];
  /** Resolves with the first log line (already seen or future) matching; rejects after timeoutMs or on exit. */
  waitForLog(match: string | RegExp | ((line: LogLine) => boolean), timeoutMs?: number): Promise<LogLine>;
  /** Send `signal` (default SIGTERM), wait for exit; SIGKILL after timeoutMs. Idempotent. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  exited: Promise<ExitInfo>;
}

export interface StartServiceOptions {
  /**
   * Environment on top of PATH, HOME, PORT=0, HOST=127.0.0.1 (nothing else is inherited from the test process).
   * LOG_LEVEL must be info or more verbose; when the config asks for warn/error, LOG_LEVEL=info is set.
   */
  env?: Record<string, string>;
  /** A config object written to a temp file and passed as CDS_CONFIG (e.g. { redis: { keyPrefix } }). */
  config?: Record<string, unknown>;
  /** How long to wait for `listening` (default 20000 ms). */
  timeoutMs?: number;
}

const started = new Set<ChildProcess>();
let exitHookInstalled = false;

function writeTempConfig(config: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imatinib-svc-'));
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

const LEVELS_WITH_INFO = new Set(['info', 'http', 'verbose', 'debug', 'silly']);

/** log.level of a CDS_CONFIG file ('info', config/default.json's, when it sets none). */
function configuredLogLevel(file: string | undefined): string {
  if (!file) return 'info';
  try {
    const level = (JSON.parse(fs.readFileSync(file, 'utf8')) as { log?: { level?: unknown } }).log?.level;
    return typeof level === 'string' ? level : 'info';
  } catch {
    return 'info'; // the service itself reports an unreadable config (exit 78)
  }
}

function matches(line: LogLine, match: string | RegExp | ((line: LogLine) => boolean)): boolean {
  if (typeof match === 'function') return match(line);
  if (typeof match === 'string') return line.message === match;
  return match.test(JSON.stringify(line));
}

/** Start dist/src/main.js; resolves once it logs `listening`, rejects (with its output) if it exits or times out first. */
export function startService(options: StartServiceOptions = {}): Promise<ServiceProcess> {
  if (!fs.existsSync(MAIN_JS)) {
    return Promise.reject(new Error(`${MAIN_JS} does not exist: run the suite through \`npm run test:services\` (its globalSetup builds dist/) or \`npm run build\``));
  }
  const timeoutMs = options.timeoutMs ?? 20000;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', ...options.env };
  const configFile = options.config ? writeTempConfig(options.config) : undefined;
  if (configFile) env.CDS_CONFIG = configFile;
  // The address is read from the `listening` line, logged at info: a config asking for warn or error gets
  // LOG_LEVEL=info (the output is only captured, so the extra lines cost nothing); an explicit LOG_LEVEL above
  // info cannot work and is refused.
  if (env.LOG_LEVEL) {
    if (!LEVELS_WITH_INFO.has(env.LOG_LEVEL)) return Promise.reject(new Error(`startService: LOG_LEVEL=${env.LOG_LEVEL} hides the info-level \`listening\` line it needs; use info or more verbose`));
  } else if (!LEVELS_WITH_INFO.has(configuredLogLevel(env.CDS_CONFIG))) {
    env.LOG_LEVEL = 'info';
  }

  const child = spawn(process.execPath, [MAIN_JS], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of started) c.kill('SIGKILL'); // a failed test must not leave services behind
    });
  }

  let out = '';
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: Parameters<ServiceProcess['waitForLog']>[0]; resolve: (l: LogLine) => void }>();
  const partial = { stdout: '', stderr: '' };
  const onChunk = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const text = chunk.toString();
    out += text;
    const parts = (partial[stream] + text).split('\n');
    partial[stream] = parts.pop() ?? '';
    for (const raw of parts) {
      const s = raw.trim();
      if (!s.startsWith('{')) continue;
      let line: LogLine;
      try {
        line = JSON.parse(s) as LogLine;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (matches(line, w.match)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout.on('data', onChunk('stdout'));
  child.stderr.on('data', onChunk('stderr'));

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) =>
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      started.delete(child);
      if (configFile) fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
      resolve(exitInfo);
    }),
  );

  const waitForLog: ServiceProcess['waitForLog'] = (match, waitMs = 10000) => {
    const seen = lines.find((l) => matches(l, match));
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const w = {
        match,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`no log line matching ${String(match)} within ${waitMs} ms; output:\n${out}`));
      }, waitMs);
      waiters.add(w);
      void exited.then((e) => {
        if (!waiters.delete(w)) return;
        clearTimeout(timer);
        reject(new Error(`service exited (${e.code ?? e.signal}) before logging ${String(match)}; output:\n${out}`));
      });
    });
  };

  const stop: ServiceProcess['stop'] = async (signal = 'SIGTERM', stopMs = 15000) => {
    if (exitInfo) return exitInfo;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), stopMs);
    const info = await exited;
    clearTimeout(timer);
    return info;
  };

  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`cannot start ${MAIN_JS}: ${e.message}`))));

  return Promise.race([waitForLog('listening', timeoutMs), spawnFailed]).then(
    (line) => {
      const url = typeof line.url === 'string' ? line.url : undefined;
      if (!url || !/^http:\/\/[^:/]+:\d+$/.test(url)) {
        child.kill('SIGKILL');
        throw new Error(`the listening line has no usable url: ${JSON.stringify(line)}`);
      }
      return { baseUrl: url, pid: child.pid ?? -1, child, output: () => out, logs: () => [...lines], waitForLog, stop, exited };
    },
    (e: unknown) => {
      child.kill('SIGKILL');
      throw e;
    },
  );
}
