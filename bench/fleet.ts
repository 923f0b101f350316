/**
 * The fleet scenario's shared state: a throwaway PostgreSQL database and a unique Redis key prefix for one bench
 * run, created at start (so an unreachable server fails the run at once, naming the URL) and removed at the end
 * (DROP DATABASE … WITH (FORCE); SCAN MATCH <prefix>* + DEL, never FLUSHDB/FLUSHALL: other runs and other
 * engineers' tests share both servers). Cleanup is idempotent and checks that nothing is left.
 */
import crypto from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';

export const DEFAULT_ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Every database this bench creates starts with this (lower case: no quoting surprises). */
export const DATABASE_PREFIX = 'imatinib_bench_';
const CONNECT_TIMEOUT_MS = 5000;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** `adminUrl` pointed at another database (same host, user, options). */
export function databaseUrlFor(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** imatinib_bench_<yyyymmddhhmmss>_<8 hex>: unique per run, and its age readable in a listing. */
export function newDatabaseName(now: Date, random: string = crypto.randomBytes(4).toString('hex')): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${DATABASE_PREFIX}${stamp}_${random}`;
}

/** imatinib-cds-bench:<pid>:<8 hex>: — no glob characters, well below redis.keyPrefix's 64. */
export function newKeyPrefix(pid: number, random: string = crypto.randomBytes(4).toString('hex')): string {
  return `imatinib-cds-bench:${pid}:${random}:`;
}

/** Escape Redis glob characters so SCAN MATCH `<prefix>*` matches the prefix literally. */
export function globEscape(s: string): string {
  return s.replace(/[*?[\]\\^]/g, (c) => `\\${c}`);
}

/** host and port of a redis:// URL (6379 when absent). */
export function redisHostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
}

function reason(e: unknown, socketError?: Error): string {
  const err = socketError ?? (e instanceof Error ? e : new Error(String(e)));
  const errs = (err as { errors?: Error[] }).errors;
  const inner = Array.isArray(errs) && errs[0] ? errs[0] : err;
  return `${(inner as NodeJS.ErrnoException).code ?? ''} ${inner.message}`.trim().replace(/\.$/, '');
}

const HOW = 'The fleet scenario needs both: start the server, point BENCH_DATABASE_URL / BENCH_REDIS_URL at one, or run without the fleet scenario (drop "fleet" from BENCH_SCENARIOS, unset BENCH_FLEET).';

async function pgClient(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'imatinib-cds-bench' });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new Error(`fleet scenario: PostgreSQL is not reachable at ${redactUrl(url)}: ${reason(e)}. ${HOW}`, { cause: e });
  }
  return client;
}

async function redisClient(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  let socketError: Error | undefined;
  client.on('error', (e: Error) => (socketError ??= e));
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  } catch (e) {
    client.disconnect();
    throw new Error(`fleet scenario: Redis is not reachable at ${redactUrl(url)}: ${reason(e, socketError)}. ${HOW}`, { cause: e });
  }
  return client;
}

async function withPg<T>(url: string, f: (c: Client) => Promise<T>): Promise<T> {
  const c = await pgClient(url);
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function withRedis<T>(url: string, f: (c: Redis) => Promise<T>): Promise<T> {
  const c = await redisClient(url);
  try {
    return await f(c);
  } finally {
    c.disconnect();
  }
}

async function scanKeys(client: Redis, prefix: string, each: (keys: string[]) => Promise<void>): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${globEscape(prefix)}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await each(keys);
  } while (cursor !== '0');
}

export interface CleanupReport {
  database: string;
  databaseDropped: boolean;
  keyPrefix: string;
  keysDeleted: number;
  /** Keys with the prefix still there after deleting (should be 0). */
  keysLeft: number;
  problems: string[];
}

export interface FleetState {
  adminUrl: string;
  redisUrl: string;
  database: string;
  /** DATABASE_URL for the service instances. */
  databaseUrl: string;
  /** redis.keyPrefix for the service instances. */
  keyPrefix: string;
  postgresVersion: string;
  redisVersion: string;
  /** Databases named imatinib_bench_* that this run did not create (a killed run, or one running now). */
  foreignBenchDatabases: string[];
  /** Rows the fleet wrote (schema version, evaluations, issued cards). */
  records(): Promise<{ schemaVersion: number; evaluations: number; issuedCards: number }>;
  /** Keys under the prefix now. */
  countKeys(): Promise<number>;
  /** Drop the database and delete the keys; safe to call more than once. */
  cleanup(): Promise<CleanupReport>;
}

/**
 * Check both servers, create the database, choose the key prefix. Throws an error naming the URL when either
 * server cannot be reached (never a silent skip).
 */
export async function provisionFleetState(adminUrl: string, redisUrl: string, now = new Date()): Promise<FleetState> {
  const database = newDatabaseName(now);
  const keyPrefix = newKeyPrefix(process.pid);
  // Both checked before anything is created, so a failure leaves nothing behind.
  const redisVersion = await withRedis(redisUrl, async (c) => {
    const info = await c.info('server');
    let existing = 0;
    await scanKeys(c, keyPrefix, async (keys) => void (existing += keys.length));
    if (existing) throw new Error(`fleet scenario: ${existing} Redis keys already start with ${keyPrefix}`);
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
  });
  const { postgresVersion, foreign } = await withPg(adminUrl, async (c) => {
    const version = (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown';
    const others = (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'imatinib\\_bench\\_%' ORDER BY datname")).rows.map((r) => r.datname);
    await c.query(`CREATE DATABASE "${database}"`);
    return { postgresVersion: version, foreign: others };
  });
  const databaseUrl = databaseUrlFor(adminUrl, database);
  let done: CleanupReport | undefined;
  return {
    adminUrl,
    redisUrl,
    database,
    databaseUrl,
    keyPrefix,
    postgresVersion,
    redisVersion,
    foreignBenchDatabases: foreign,
    records: () =>
      withPg(databaseUrl, async (c) => {
        const r = await c.query<{ v: number | null; e: string; i: string }>(
          'SELECT (SELECT max(version) FROM schema_migrations) AS v, (SELECT count(*) FROM evaluation) AS e, (SELECT count(*) FROM issued_card) AS i',
        );
        const row = r.rows[0];
        return { schemaVersion: Number(row?.v ?? 0), evaluations: Number(row?.e ?? 0), issuedCards: Number(row?.i ?? 0) };
      }),
    countKeys: () =>
      withRedis(redisUrl, async (c) => {
        let n = 0;
        await scanKeys(c, keyPrefix, async (keys) => void (n += keys.length));
        return n;
      }),
    async cleanup() {
      if (done && done.problems.length === 0) return done;
      const report: CleanupReport = { database, databaseDropped: false, keyPrefix, keysDeleted: 0, keysLeft: 0, problems: [] };
      try {
        await withPg(adminUrl, async (c) => {
          // FORCE (PostgreSQL 13+) ends backends still connected, e.g. of an instance that did not stop.
          await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
          const left = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
          report.databaseDropped = left.rowCount === 0;
          if (!report.databaseDropped) report.problems.push(`database ${database} still exists`);
        });
      } catch (e) {
        report.problems.push(`dropping database ${database}: ${reason(e)}`);
      }
      try {
        await withRedis(redisUrl, async (c) => {
          await scanKeys(c, keyPrefix, async (keys) => void (report.keysDeleted += await c.del(...keys)));
          await scanKeys(c, keyPrefix, async (keys) => void (report.keysLeft += keys.length));
          if (report.keysLeft) report.problems.push(`${report.keysLeft} Redis keys under ${keyPrefix} left`);
        });
      } catch (e) {
        report.problems.push(`deleting Redis keys ${keyPrefix}*: ${reason(e)}`);
      }
      done = report;
      return report;
    },
  };
}
