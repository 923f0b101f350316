/**
 * The local durable outbox of the PostgreSQL store: while PostgreSQL is unreachable, evaluations (with their
 * cards) and feedback are appended here, in order, and acknowledged once this file has them (SQLite WAL,
 * synchronous=FULL: survives a kill -9 and a power loss). The store drains it into PostgreSQL, oldest first,
 * when PostgreSQL is back; every write is idempotent there, so a row applied twice (a commit whose
 * acknowledgement was lost) changes nothing. Also keeps the patient-hash salt, so a restart during an outage
 * still hashes patients as the database does.
 */
import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite';
import type { EvaluationRow, FeedbackRow } from './records';

export type OutboxEntry = { seq: number; kind: 'evaluation'; row: EvaluationRow } | { seq: number; kind: 'feedback'; row: FeedbackRow };

export class Outbox {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly peekStatement: Database.Statement;
  private readonly deleteUpTo: Database.Statement;
  private readonly countStatement: Database.Statement;
  private depthCache: number;

  constructor(file: string) {
    this.db = openSqlite(file, 'FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL,
      payload TEXT NOT NULL,
      fingerprint TEXT UNIQUE
    );
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
    this.insert = this.db.prepare('INSERT OR IGNORE INTO outbox(kind, payload, fingerprint) VALUES (?, ?, ?)');
    this.peekStatement = this.db.prepare('SELECT seq, kind, payload FROM outbox ORDER BY seq LIMIT ?');
    this.deleteUpTo = this.db.prepare('DELETE FROM outbox WHERE seq <= ?');
    this.countStatement = this.db.prepare('SELECT COUNT(*) FROM outbox').pluck();
    this.depthCache = this.countStatement.get() as number;
  }

  /** Rows waiting for PostgreSQL. */
  get depth(): number {
    return this.depthCache;
  }

  appendEvaluation(row: EvaluationRow): void {
    this.insert.run('evaluation', JSON.stringify(row), null);
    this.depthCache += 1;
  }

  /** Feedback rows; a fingerprint already waiting here is a duplicate (returns which rows were new). */
  appendFeedback(rows: FeedbackRow[]): boolean[] {
    const added = this.db.transaction((list: FeedbackRow[]) => list.map((r) => this.insert.run('feedback', JSON.stringify(r), r.fingerprint).changes === 1))(rows);
    this.depthCache += added.filter(Boolean).length;
    return added;
  }

  peek(limit: number): OutboxEntry[] {
    return (this.peekStatement.all(limit) as Array<{ seq: number; kind: string; payload: string }>).map((r) =>
      r.kind === 'evaluation' ? { seq: r.seq, kind: 'evaluation', row: JSON.parse(r.payload) as EvaluationRow } : { seq: r.seq, kind: 'feedback', row: JSON.parse(r.payload) as FeedbackRow },
    );
  }

  /** Forget the rows PostgreSQL has committed. */
  remove(upToSeq: number): void {
    this.deleteUpTo.run(upToSeq);
    this.depthCache = this.countStatement.get() as number;
  }

  cachedSalt(): string | undefined {
    return (this.db.prepare("SELECT value FROM meta WHERE key = 'patient_hash_salt'").pluck().get() as string | undefined) ?? undefined;
  }

  cacheSalt(salt: string): void {
    this.db.prepare("INSERT INTO meta(key, value) VALUES ('patient_hash_salt', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(salt);
  }

  writable(): boolean {
    try {
      return this.countStatement.get() !== undefined;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
