/**
 * The PostgreSQL record store against a real PostgreSQL 15: the conformance suite every store passes, the
 * migrations (versioned, under an advisory lock, the same schema as SQLite), and the outbox during an outage
 * made real with a TCP proxy that is cut and restored.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { PostgresCardStore } from '../../src/store/postgres';
import { finalTables, MIGRATIONS } from '../../src/store/schema';
import { testConfig } from '../helpers/config';
import { capturingLogger } from '../helpers/service';
import { NO_METRICS } from '../../src/metrics/types';
import { accepted, describeCardStore, evaluation, type StoreUnderTest } from '../helpers/store-conformance';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { startTcpProxy, viaProxy, type TcpProxy } from './helpers/tcp-proxy';

const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const d of databases) await d.drop();
});

function storeConfig(url: string, outboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cds-outbox-'))) {
  const base = testConfig().store;
  return { ...base, path: path.join(outboxDir, 'store.sqlite'), databaseUrl: url, pool: { ...base.pool, connectTimeoutMs: 1000, statementTimeoutMs: 1000 }, outboxDrainIntervalMs: 100 };
}

/** Rows with times as ISO strings, as the SQLite store reads them, so the suite compares like with like. */
function normalise(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Times as ISO strings; COUNT(…) is bigint, which pg reads as a string.
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Date ? v.toISOString() : k === 'n' && typeof v === 'string' ? Number(v) : v;
  return out;
}

async function query(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(sql);
    return r.rows.map(normalise);
  } finally {
    await c.end();
  }
}

function underTest(url: string, cfg = storeConfig(url)): StoreUnderTest {
  const { logger } = capturingLogger('error');
  const store = new PostgresCardStore(cfg, { logger, metrics: NO_METRICS });
  return {
    store,
    rows: async (sql) => {
      await store.ready;
      return query(url, sql);
    },
    reopen: async () => {
      await store.close();
      return underTest(url, cfg);
    },
    dispose: () => store.close(),
  };
}

describeCardStore('PostgreSQL', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  return underTest(db.url);
});

describe('PostgreSQL schema and migrations', () => {
  it('creates exactly the tables and columns of the schema definition (the same as SQLite), and records each version once', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const t = underTest(db.url);
    await (t.store as PostgresCardStore).ready;
    for (const [table, columns] of finalTables()) {
      const actual = (await query(db.url, `SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY column_name`)).map((r) => r.column_name);
      expect(actual).toEqual(columns.map((c) => c.name).sort());
    }
    expect(await query(db.url, 'SELECT version FROM schema_migrations ORDER BY version')).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    await t.dispose();
  });

  it('lets five instances starting at once migrate safely (advisory lock): every migration applied exactly once', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const stores = Array.from({ length: 5 }, () => underTest(db.url));
    await Promise.all(stores.map((s) => (s.store as PostgresCardStore).ready));
    await Promise.all(stores.map((s, i) => s.store.recordEvaluation(evaluation({ evaluationId: `ev-${i}`, cards: [] }))));
    expect(await query(db.url, 'SELECT COUNT(*) AS n FROM schema_migrations')).toEqual([{ n: MIGRATIONS.length }]);
    expect(await query(db.url, 'SELECT COUNT(*) AS n FROM evaluation')).toEqual([{ n: 5 }]);
    // Every instance hashes patients alike: one salt in the database.
    expect(await query(db.url, 'SELECT COUNT(DISTINCT patient_hash) AS n FROM evaluation')).toEqual([{ n: 1 }]);
    for (const s of stores) await s.dispose();
  });
});

describe('PostgreSQL unreachable: the local outbox', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let store: PostgresCardStore;

  beforeEach(async () => {
    db = await createTestDatabase();
    databases.push(db);
    const target = new URL(db.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    store = underTest(viaProxy(db.url, proxy)).store as PostgresCardStore;
    await store.ready;
  });
  afterEach(async () => {
    await store.close();
    await proxy.close();
  });

  it('acknowledges writes into the outbox while PostgreSQL is cut off, then drains them by itself, exactly once', async () => {
    await store.recordEvaluation(evaluation({ evaluationId: 'before' }));
    proxy.cut();
    await store.recordEvaluation(evaluation({ evaluationId: 'during-1', cards: [{ cardUuid: 'card-during', ruleId: 'WARFARIN', indicator: 'warning', suggestionUuids: [] }] }));
    await store.recordEvaluation(evaluation({ evaluationId: 'during-2', cards: [] }));
    const fb = await store.recordFeedback('imatinib-order-sign', [{ ...accepted, card: 'card-during' }], new Date());
    expect(fb).toMatchObject({ stored: 1, queued: 1, duplicates: 0 });
    // A repeat of the same feedback while queued is a duplicate.
    expect(await store.recordFeedback('imatinib-order-sign', [{ ...accepted, card: 'card-during' }], new Date())).toMatchObject({ stored: 0, duplicates: 1 });
    expect(store.outboxDepth).toBe(3);
    expect(await store.ping()).toBe(true);

    await proxy.restore();
    for (let i = 0; i < 100 && store.outboxDepth > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(store.outboxDepth).toBe(0);
    expect(await query(db.url, 'SELECT evaluation_id FROM evaluation ORDER BY evaluation_id')).toEqual([{ evaluation_id: 'before' }, { evaluation_id: 'during-1' }, { evaluation_id: 'during-2' }]);
    // The feedback was applied after its card: known.
    expect(await query(db.url, 'SELECT card_uuid, card_known FROM feedback')).toEqual([{ card_uuid: 'card-during', card_known: 1 }]);
    // Writes go to PostgreSQL directly again.
    await store.recordEvaluation(evaluation({ evaluationId: 'after', cards: [] }));
    expect(store.outboxDepth).toBe(0);
    expect(await query(db.url, "SELECT COUNT(*) AS n FROM evaluation WHERE evaluation_id = 'after'")).toEqual([{ n: 1 }]);
  });

  it('keeps the outbox across a restart and drains it when PostgreSQL is back (nothing acknowledged is lost)', async () => {
    proxy.cut();
    await store.recordEvaluation(evaluation({ evaluationId: 'kept', cards: [] }));
    const cfg = storeConfig(viaProxy(db.url, proxy), path.dirname((store as unknown as { cfg: { path: string } }).cfg.path));
    await store.close();
    // A new process on the same outbox file, PostgreSQL still down: it starts (salt cached) and keeps queuing.
    const { logger } = capturingLogger('error');
    store = new PostgresCardStore(cfg, { logger, metrics: NO_METRICS });
    await store.ready;
    expect(store.outboxDepth).toBe(1);
    await store.recordEvaluation(evaluation({ evaluationId: 'kept-2', cards: [] }));
    await proxy.restore();
    for (let i = 0; i < 100 && store.outboxDepth > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await query(db.url, 'SELECT evaluation_id FROM evaluation ORDER BY evaluation_id')).toEqual([{ evaluation_id: 'kept' }, { evaluation_id: 'kept-2' }]);
  });
});
