import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteCardStore } from '../../../src/store/sqlite';
import { MIGRATIONS, SCHEMA_VERSION, finalTables } from '../../../src/store/schema';
import { openReplayStore } from '../../../src/store/replay-store';
import { describeCardStore, evaluation, type StoreUnderTest } from '../../helpers/store-conformance';

function tmpDb(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cds-store-')), 'store.sqlite');
}

function underTest(file: string): StoreUnderTest {
  const store = new SqliteCardStore({ path: file });
  return {
    store,
    rows: async (sql) => store.db.prepare(sql).all() as Array<Record<string, unknown>>,
    reopen: async () => {
      await store.close();
      return underTest(file);
    },
    dispose: () => store.close(),
  };
}

describeCardStore('SQLite', async () => underTest(tmpDb()));

describe('SQLite schema and migrations', () => {
  it('creates exactly the tables and columns of the schema definition, at the latest version', async () => {
    const t = underTest(tmpDb());
    const db = (t.store as SqliteCardStore).db;
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    for (const [table, columns] of finalTables()) {
      const actual = (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name).sort();
      expect(actual).toEqual(columns.map((c) => c.name).sort());
    }
    await t.dispose();
  });

  it('upgrades a file written by the release before migrations (version 0 with the old tables), keeping its rows', async () => {
    const file = tmpDb();
    const old = new Database(file);
    old.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE issued_card (card_uuid TEXT PRIMARY KEY, service_id TEXT NOT NULL, rule_id TEXT NOT NULL, hook_instance TEXT NOT NULL, patient_hash TEXT NOT NULL, suggestion_uuids TEXT NOT NULL, issued_at TEXT NOT NULL);
      INSERT INTO issued_card VALUES ('old-card', 'imatinib-order-sign', 'WARFARIN', 'hi', 'h', '[]', '2026-01-01T00:00:00.000Z');`);
    old.close();
    const t = underTest(file);
    expect(await t.rows("SELECT card_uuid, evaluation_id FROM issued_card WHERE card_uuid = 'old-card'")).toEqual([{ card_uuid: 'old-card', evaluation_id: null }]);
    await t.store.recordEvaluation(evaluation({ evaluationId: 'new' }));
    expect(await t.rows('SELECT COUNT(*) AS n FROM evaluation')).toEqual([{ n: 1 }]);
    await t.dispose();
  });

  it('applies each migration once when two workers open a new file at the same moment', async () => {
    const file = tmpDb();
    const a = underTest(file);
    const b = underTest(file);
    await Promise.all([a.store.recordEvaluation(evaluation({ evaluationId: 'a' })), b.store.recordEvaluation(evaluation({ evaluationId: 'b', cards: [] }))]);
    expect(await a.rows('SELECT COUNT(*) AS n FROM evaluation')).toEqual([{ n: 2 }]);
    await a.dispose();
    await b.dispose();
    expect(MIGRATIONS.map((m) => m.version)).toEqual([...MIGRATIONS.keys()].map((i) => i + 1));
  });
});

describe('shared jti replay store', () => {
  it('remembers a jti across two connections (two worker processes share the file)', () => {
    const file = tmpDb();
    let now = 1000;
    const a = openReplayStore(file, () => now);
    const b = openReplayStore(file, () => now);
    expect(a.checkAndRemember('iss|jti-1', 1300)).toBe(true);
    expect(b.checkAndRemember('iss|jti-1', 1300)).toBe(false);
    expect(b.checkAndRemember('iss|jti-2', 1300)).toBe(true);
    now = 1400; // the first token has expired: its jti may be seen again on a new, valid token
    expect(a.checkAndRemember('iss|jti-1', 1700)).toBe(true);
    expect(b.checkAndRemember('iss|jti-1', 1700)).toBe(false);
    a.close();
    b.close();
  });
});
