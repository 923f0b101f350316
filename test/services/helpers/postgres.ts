/**
 * PostgreSQL for test/services: one throw-away database per call on the shared server.
 *
 * The admin connection comes from TEST_PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 * When the server cannot be reached every helper throws an error naming the URL: these tests never skip.
 */
import { randomBytes } from 'node:crypto';
import { Client, type QueryResult, type QueryResultRow } from 'pg';

export const DEFAULT_PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** Every database these helpers create starts with this (leftovers of crashed runs can be found by it). */
export const TEST_DATABASE_PREFIX = 'imatinib_test_';
const CONNECT_TIMEOUT_MS = 5000;

export interface TestDatabase {
  /** postgres:// URL of the new database (same server, user and password as the admin URL). */
  url: string;
  name: string;
  /** Terminate every connection to the database and drop it. Idempotent. */
  drop(): Promise<void>;
}

export function pgAdminUrl(): string {
  return process.env.TEST_PG_ADMIN_URL || DEFAULT_PG_ADMIN_URL;
}

/** The URL without its password, for error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** The same server and credentials, another database. */
export function databaseUrl(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Connect to `url` or throw an error that names it and says how to start the shared server. */
export async function connectPg(url: string = pgAdminUrl()): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An 'error' event without a listener (server gone while idle) would crash the test process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    const reason = e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.trim() : String(e);
    throw new Error(
      `PostgreSQL is not reachable at ${redactUrl(url)}: ${reason}. ` +
        'test/services needs a running server (start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, ' +
        'or point TEST_PG_ADMIN_URL at another one).',
      { cause: e },
    );
  }
  return client;
}

/** One query on a fresh connection to the admin database (or `url`), closed afterwards. */
export async function adminQuery<R extends QueryResultRow = QueryResultRow>(
  sql: string,
  params: unknown[] = [],
  url: string = pgAdminUrl(),
): Promise<QueryResult<R>> {
  const client = await connectPg(url);
  try {
    return await client.query<R>(sql, params);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Create a uniquely named empty database (from template0, so concurrent creations never collide on template1). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = pgAdminUrl();
  const name = `${TEST_DATABASE_PREFIX}${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING 'UTF8'`, [], adminUrl);
  let dropped = false;
  return {
    name,
    url: databaseUrl(adminUrl, name),
    async drop() {
      if (dropped) return;
      await dropDatabase(name, adminUrl);
      dropped = true;
    },
  };
}

/** Terminate the database's connections and drop it (no error when it does not exist). */
export async function dropDatabase(name: string, adminUrl: string = pgAdminUrl()): Promise<void> {
  const client = await connectPg(adminUrl);
  try {
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    // WITH (FORCE) (PostgreSQL 13+) also terminates a connection that arrived between the two statements.
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function databaseExists(name: string): Promise<boolean> {
  const r = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return r.rowCount === 1;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Drop test databases left behind by runs that crashed before drop(): only those whose creating process
 * (the pid in the name) is no longer alive, so a concurrent run on the same machine is not disturbed.
 * Returns the names dropped.
 */
export async function dropLeftoverTestDatabases(): Promise<string[]> {
  const r = await adminQuery<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'imatinib\\_test\\_%'");
  const dropped: string[] = [];
  for (const { datname } of r.rows) {
    const pid = Number(/^imatinib_test_(\d+)_/.exec(datname)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    await dropDatabase(datname);
    dropped.push(datname);
  }
  return dropped;
}
