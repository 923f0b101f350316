/**
 * The embedded record store: SQLite (better-sqlite3, WAL) in one file, shared by the worker processes of one
 * machine. Migrations are versioned with PRAGMA user_version and applied in an immediate transaction, so
 * several workers opening a new file at once take turns; the busy timeout is set before anything else touches
 * the file (a worker that opened it a moment after another used to die with "database is locked").
 * Evaluations are group-committed; WAL with synchronous=NORMAL loses nothing on a process crash (kill -9).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FeedbackItem } from '../protocol/schemas';
import { GroupCommit } from './group-commit';
import { evaluationRow, feedbackRow, newSalt, patientHasher, type EvaluationRow, type PatientHasher } from './records';
import { MIGRATIONS, migrationSql } from './schema';
import type { PeriodQuery, PeriodRows } from '../governance/types';
import { periodStatements, toPeriodRows } from './period-rows';
import type { CardStore, EvaluationRecord, FeedbackResult } from './types';

export interface SqliteStoreOptions {
  path: string;
  patientHashSalt?: string;
  /** synchronous pragma: NORMAL (default) survives process crashes; FULL also survives power loss. */
  synchronous?: 'NORMAL' | 'FULL';
}

/** Open a SQLite file safely for concurrent workers: busy timeout first, then WAL. */
export function openSqlite(file: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL'): Database.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { timeout: 10_000 });
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  return db;
}

/** Apply every pending migration (PRAGMA user_version) in one immediate transaction. */
export function migrateSqlite(db: Database.Database): number {
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const sql of migrationSql(m, 'sqlite')) {
        try {
          db.exec(sql);
        } catch (e) {
          // A file from before versioning may already carry a column this migration adds.
          if (!/duplicate column name/i.test((e as Error).message)) throw e;
        }
      }
      db.pragma(`user_version = ${m.version}`);
    }
    return db.pragma('user_version', { simple: true }) as number;
  });
  return apply.immediate();
}

/** The salt of a database: configured, else the one kept in its meta table (created once). */
export function sqliteSalt(db: Database.Database, configured: string | undefined): string {
  if (configured) return configured;
  db.prepare("INSERT OR IGNORE INTO meta(key, value) VALUES ('patient_hash_salt', ?)").run(newSalt());
  return (db.prepare("SELECT value FROM meta WHERE key = 'patient_hash_salt'").get() as { value: string }).value;
}

/** Statements that write the record, shared by the SQLite store and the outbox's replay into it. */
export function sqliteWriter(db: Database.Database) {
  const insertEvaluation = db.prepare(
    `INSERT OR IGNORE INTO evaluation(evaluation_id, service_id, rule_set_version, hook_instance, patient_hash, order_count, card_count, evaluated_at)
     VALUES (@evaluation_id, @service_id, @rule_set_version, @hook_instance, @patient_hash, @order_count, @card_count, @evaluated_at)`,
  );
  const insertCard = db.prepare(
    `INSERT OR IGNORE INTO issued_card(card_uuid, evaluation_id, service_id, rule_id, indicator, hook_instance, patient_hash, suggestion_uuids, issued_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const cardRule = db.prepare('SELECT rule_id FROM issued_card WHERE card_uuid = ? AND service_id = ?').pluck();
  const insertFeedback = db.prepare(
    `INSERT OR IGNORE INTO feedback(fingerprint, service_id, card_uuid, card_known, outcome, accepted_suggestions, override_system, override_code,
       override_display, user_comment, outcome_timestamp, received_at)
     VALUES (@fingerprint, @service_id, @card_uuid, @card_known, @outcome, @accepted_suggestions, @override_system, @override_code,
       @override_display, @user_comment, @outcome_timestamp, @received_at)`,
  );
  return {
    evaluations: db.transaction((rows: EvaluationRow[]) => {
      for (const r of rows) {
        const { cards, ...evaluation } = r;
        insertEvaluation.run(evaluation);
        for (const c of cards) insertCard.run(c.card_uuid, r.evaluation_id, r.service_id, c.rule_id, c.indicator, r.hook_instance, r.patient_hash, c.suggestion_uuids, r.evaluated_at);
      }
    }),
    feedback: db.transaction((serviceId: string, items: FeedbackItem[], receivedAt: Date): FeedbackResult => {
      const result: FeedbackResult = { stored: 0, duplicates: 0, unknownCards: 0, queued: 0, recorded: [] };
      for (const item of items) {
        const ruleId = cardRule.get(item.card, serviceId) as string | undefined;
        if (ruleId === undefined) result.unknownCards++;
        const info = insertFeedback.run({ ...feedbackRow(serviceId, item, receivedAt), card_known: ruleId === undefined ? 0 : 1 });
        if (info.changes === 1) {
          result.stored++;
          result.recorded.push({ ruleId: ruleId ?? 'unknown', outcome: item.outcome });
        } else result.duplicates++;
      }
      return result;
    }),
  };
}

export class SqliteCardStore implements CardStore {
  readonly db: Database.Database;
  private readonly hash: PatientHasher;
  private readonly writer: ReturnType<typeof sqliteWriter>;
  private readonly batches: GroupCommit<EvaluationRow>;
  private readonly pingStatement: Database.Statement;

  constructor(options: SqliteStoreOptions) {
    this.db = openSqlite(options.path, options.synchronous);
    migrateSqlite(this.db);
    this.hash = patientHasher(sqliteSalt(this.db, options.patientHashSalt));
    this.writer = sqliteWriter(this.db);
    this.batches = new GroupCommit((rows) => this.writer.evaluations(rows));
    this.pingStatement = this.db.prepare('SELECT 1').pluck();
  }

  recordEvaluation(evaluation: EvaluationRecord): Promise<void> {
    return this.batches.add(evaluationRow(evaluation, this.hash));
  }

  async recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult> {
    // Cards of this request may still be in the current batch: commit them first so they are known.
    await this.batches.flush();
    return this.writer.feedback(serviceId, items, receivedAt);
  }

  async periodRows(query: PeriodQuery): Promise<PeriodRows> {
    // Evaluations still in the current batch belong to the period too.
    await this.batches.flush();
    const q = periodStatements(query, 'sqlite');
    const all = (s: { sql: string; params: string[] }) => this.db.prepare(s.sql).all(...s.params) as Array<Record<string, unknown>>;
    // One read transaction: the three reads see the same snapshot.
    return this.db.transaction(() => toPeriodRows(all(q.evaluations), all(q.cards), all(q.feedback)))();
  }

  async ping(): Promise<boolean> {
    try {
      return this.pingStatement.get() === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.batches.flush();
    if (this.db.open) this.db.close();
  }
}
