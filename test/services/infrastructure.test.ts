/** Smoke test of the test/services helpers against the real PostgreSQL and Redis. */
import net from 'node:net';
import { Client } from 'pg';
import { adminQuery, createTestDatabase, databaseExists, pgAdminUrl } from './helpers/postgres';
import { connectRedis, flushPrefix, freePort, newKeyPrefix, pingRedis, redisUrlForTest, startPrivateRedis } from './helpers/redis';
import { startService } from './helpers/service-process';
import { startTcpProxy, viaProxy } from './helpers/tcp-proxy';

/** Resolves with the connect error code (ECONNREFUSED...) or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function pgClient(url: string, connectTimeoutMs = 2000): Promise<Client> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function elapsed<T>(fn: () => Promise<T>): Promise<{ ms: number; result?: T; error?: Error }> {
  const t0 = Date.now();
  try {
    const result = await fn();
    return { ms: Date.now() - t0, result };
  } catch (e) {
    return { ms: Date.now() - t0, error: e as Error };
  }
}

describe('postgres helper', () => {
  it('creates a usable, uniquely named database and drop() removes it', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    try {
      expect(a.name).toMatch(new RegExp(`^imatinib_test_${process.pid}_[0-9a-f]{8}$`));
      expect(b.name).not.toBe(a.name);
      expect(new URL(a.url).pathname).toBe(`/${a.name}`);

      const c = await pgClient(a.url);
      await c.query('CREATE TABLE t (id int PRIMARY KEY)');
      await c.query('INSERT INTO t VALUES (1), (2)');
      expect((await c.query('SELECT count(*)::int AS n FROM t')).rows[0]).toEqual({ n: 2 });
      // drop() must work while a connection is still open (it terminates it).
      await a.drop();
      await expect(c.query('SELECT 1')).rejects.toThrow();
      await c.end().catch(() => undefined);

      expect(await databaseExists(a.name)).toBe(false);
      expect(await databaseExists(b.name)).toBe(true);
      await expect(pgClient(a.url)).rejects.toThrow(/does not exist/);
      await a.drop(); // idempotent
    } finally {
      await a.drop();
      await b.drop();
    }
    expect(await databaseExists(b.name)).toBe(false);
  });

  it('adminQuery runs parameterised SQL on the admin database', async () => {
    const r = await adminQuery<{ db: string; x: number }>('SELECT current_database() AS db, $1::int AS x', [42]);
    expect(r.rows[0]).toEqual({ db: new URL(pgAdminUrl()).pathname.slice(1), x: 42 });
  });

  it('fails with a message naming the URL when PostgreSQL cannot be reached', async () => {
    const port = await freePort();
    const saved = process.env.TEST_PG_ADMIN_URL;
    process.env.TEST_PG_ADMIN_URL = `postgres://postgres:secret@127.0.0.1:${port}/postgres`;
    try {
      const err = await createTestDatabase().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toContain(`PostgreSQL is not reachable at postgres://postgres:***@127.0.0.1:${port}/postgres`);
      expect(err?.message).toContain('ECONNREFUSED');
      expect(err?.message).not.toContain('secret');
    } finally {
      if (saved === undefined) delete process.env.TEST_PG_ADMIN_URL;
      else process.env.TEST_PG_ADMIN_URL = saved;
    }
  });
});

describe('redis helper (shared server)', () => {
  it('gives this file one prefix and flushPrefix deletes only its keys', async () => {
    const { url, prefix } = redisUrlForTest();
    expect(redisUrlForTest()).toEqual({ url, prefix }); // same for the whole file
    expect(prefix).toMatch(/^t:infrastructure:\d+:[0-9a-f]{8}:$/);
    expect(prefix.length).toBeLessThanOrEqual(64);

    const other = newKeyPrefix();
    const lookalike = `${prefix.slice(0, -1)}X`; // shares every character but the last
    const r = await connectRedis(url);
    try {
      const batch = r.pipeline();
      for (let i = 0; i < 2500; i++) batch.set(`${prefix}k${i}`, 'v'); // several SCAN pages
      await batch.exec();
      await r.hset(`${prefix}hash`, 'f', '1');
      await r.set(`${other}k`, 'keep');
      await r.set(lookalike, 'keep');

      expect(await flushPrefix(prefix, url)).toBe(2501);
      expect(await r.exists(`${prefix}k0`, `${prefix}k2499`, `${prefix}hash`)).toBe(0);
      expect(await r.get(`${other}k`)).toBe('keep');
      expect(await r.get(lookalike)).toBe('keep');
      await expect(flushPrefix('')).rejects.toThrow(/refusing/);
    } finally {
      await r.del(`${other}k`, lookalike);
      await flushPrefix(prefix, url);
      r.disconnect();
    }
  });

  it('fails with a message naming the URL when Redis cannot be reached', async () => {
    const port = await freePort();
    await expect(connectRedis(`redis://127.0.0.1:${port}`)).rejects.toThrow(`Redis is not reachable at redis://127.0.0.1:${port}: ECONNREFUSED`);
  });
});

describe('private redis-server', () => {
  it('answers PING, refuses connections once killed, and answers again after restart on the same port', async () => {
    const redis = await startPrivateRedis();
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      const firstPid = redis.pid;
      expect(await pingRedis('127.0.0.1', redis.port)).toBe(true);
      const c = await connectRedis(redis.url);
      await c.set('k', 'v');
      c.disconnect();

      await redis.kill(); // SIGKILL
      expect(() => process.kill(firstPid, 0)).toThrow();
      expect(await tryConnect(redis.port)).toBe('ECONNREFUSED');
      expect(await pingRedis('127.0.0.1', redis.port)).toBe(false);

      await redis.restart();
      expect(redis.pid).not.toBe(firstPid);
      expect(await pingRedis('127.0.0.1', redis.port)).toBe(true);
      const c2 = await connectRedis(redis.url);
      expect(await c2.get('k')).toBeNull(); // no persistence
      c2.disconnect();

      await redis.kill('SIGSTOP'); // frozen: connections hang instead of being refused
      expect(await pingRedis('127.0.0.1', redis.port, 300)).toBe(false);
      await redis.restart();
      expect(await pingRedis('127.0.0.1', redis.port)).toBe(true);
    } finally {
      await redis.stop();
    }
    expect(await tryConnect(redis.port)).toBe('ECONNREFUSED');
  });

  it('keeps its data across kill and restart when asked to persist', async () => {
    const redis = await startPrivateRedis({ extraArgs: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    try {
      const c = await connectRedis(redis.url);
      await c.set('k', 'v');
      c.disconnect();
      await redis.kill();
      await redis.restart();
      const c2 = await connectRedis(redis.url);
      expect(await c2.get('k')).toBe('v');
      c2.disconnect();
    } finally {
      await redis.stop();
    }
  });
});

describe('tcp proxy', () => {
  it('forwards PostgreSQL; cut() makes queries and connects fail fast; restore() brings it back', async () => {
    const target = new URL(pgAdminUrl());
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const url = viaProxy(pgAdminUrl(), proxy);
    try {
      const c = await pgClient(url);
      expect((await c.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
      expect(proxy.connections()).toBe(1);

      proxy.cut();
      const inFlight = await elapsed(() => c.query('SELECT 1'));
      expect(inFlight.error).toBeDefined();
      expect(inFlight.ms).toBeLessThan(1000);
      await c.end().catch(() => undefined);
      const connect = await elapsed(() => pgClient(url, 5000));
      expect(connect.error?.message).toMatch(/ECONNREFUSED/);
      expect(connect.ms).toBeLessThan(1000);
      expect(proxy.connections()).toBe(0);

      await proxy.restore();
      const c2 = await pgClient(url);
      expect((await c2.query('SELECT 2 AS two')).rows[0]).toEqual({ two: 2 });

      // stall(): nothing is forwarded but nothing is refused either, so the client's own timeouts fire.
      proxy.stall();
      const stalledConnect = await elapsed(() => pgClient(url, 300));
      expect(stalledConnect.error?.message).toMatch(/timeout/i);
      const pending = c2.query('SELECT 3 AS three');
      await new Promise((r) => setTimeout(r, 200));
      await proxy.restore();
      expect((await pending).rows[0]).toEqual({ three: 3 }); // delivered late, intact
      await c2.end();
    } finally {
      await proxy.close();
    }
    expect(await tryConnect(proxy.port)).toBe('ECONNREFUSED');
  });
});

describe('service process', () => {
  it('starts the built service on a free port and stops it with SIGTERM', async () => {
    const svc = await startService({ env: { LOG_LEVEL: 'info' } });
    try {
      expect(svc.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${svc.baseUrl}/cds-services`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { services: unknown[] };
      expect(body.services.length).toBeGreaterThan(0);
      expect((await svc.waitForLog('listening')).pid).toBe(svc.pid);
    } finally {
      const exit = await svc.stop('SIGTERM');
      expect(exit).toEqual({ code: 0, signal: null });
    }
    expect(svc.logs().some((l) => l.message === 'stopped')).toBe(true);
  });

  it('rejects with the output when the service exits before listening', async () => {
    await expect(startService({ env: { PORT: 'not-a-port' } })).rejects.toThrow(/exited \(78\)[\s\S]*PORT/);
  });
});

describe('service process with a config overlay', () => {
  it('passes `config` as CDS_CONFIG', async () => {
    const { prefix } = redisUrlForTest();
    const svc = await startService({ config: { publicBaseUrl: 'https://cds.example.test', redis: { keyPrefix: prefix } } });
    try {
      expect((await svc.waitForLog('listening')).publicBaseUrl).toBe('https://cds.example.test');
    } finally {
      await svc.stop();
    }
  });
});

describe('service process log level', () => {
  it('still finds the listening line when the config asks for warn', async () => {
    const svc = await startService({ config: { log: { level: 'warn' } } });
    await svc.stop();
  });

  it('refuses an explicit LOG_LEVEL that would hide the listening line', async () => {
    await expect(startService({ env: { LOG_LEVEL: 'error' } })).rejects.toThrow(/LOG_LEVEL=error hides/);
  });
});
