/**
 * The fleet record store: PostgreSQL (DATABASE_URL), shared by every instance, with a local durable outbox.
 *
 * - Start-up: versioned migrations (schema.ts) under a PostgreSQL advisory lock, so instances starting at once
 *   take turns; the patient-hash salt is the configured one or the database's (cached in the outbox file).
 * - Writes: evaluations are group-committed; feedback is committed per request. Every write is idempotent
 *   (ON CONFLICT DO NOTHING on the card uuid, the evaluation id, the feedback fingerprint).
 * - PostgreSQL unreachable: the record is not on the safety path, so cards are still answered; writes go to the
 *   outbox (acknowledged once it holds them) and drain by themselves, oldest first, when PostgreSQL is back.
 *   While the outbox holds rows every new write joins it, so feedback never overtakes the card it is about.
 */
import { Pool, type PoolClient } from 'pg';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/types';
import type { PeriodQuery, PeriodRows } from '../governance/types';
import { StateUnavailableError } from '../state/errors';
import { periodStatements, toPeriodRows } from './period-rows';
import type { FeedbackItem } from '../protocol/schemas';
import { GroupCommit } from './group-commit';
import { Outbox, type OutboxEntry } from './outbox';
import { evaluationRow, feedbackRow, newSalt, patientHasher, type EvaluationRow, type FeedbackRow, type PatientHasher } from './records';
import { MIGRATIONS, migrationSql } from './schema';
import type { CardStore, EvaluationRecord, FeedbackResult } from './types';

/** Any stable 64-bit number: the advisory lock every instance takes to migrate. */
const MIGRATION_LOCK = 727_001_2026;
const DRAIN_BATCH = 200;

/** Errors that mean "PostgreSQL cannot be reached now" (as opposed to a bug in a query). */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = typeof err?.message === 'string' ? err.message : '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300'].includes(code) ||
    /timeout|terminated|Connection terminated|connect|not queryable|Client has encountered a connection error/i.test(message)
  );
}

export interface PostgresStoreDeps {
  logger: Logger;
  metrics: Metrics;
}

async function migrate(pool: Pool): Promise<number> {
  const client = await pool.connect();
  client.on('error', ignoreClientError);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          for (const sql of migrationSql(m, 'postgres')) await client.query(sql);
          await client.query('INSERT INTO schema_migrations(version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      }
      return Math.max(0, ...MIGRATIONS.map((m) => m.version));
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    }
  } finally {
    client.off('error', ignoreClientError);
    client.release();
  }
}

async function databaseSalt(pool: Pool, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  await pool.query("INSERT INTO meta(key, value) VALUES ('patient_hash_salt', $1) ON CONFLICT (key) DO NOTHING", [newSalt()]);
  const r = await pool.query<{ value: string }>("SELECT value FROM meta WHERE key = 'patient_hash_salt'");
  const salt = r.rows[0]?.value;
  if (!salt) throw new Error('patient hash salt missing from meta');
  return salt;
}

/** A connection lost between two queries of a checked-out client is an 'error' event: it must not crash us. */
const ignoreClientError = (): void => undefined;

async function transaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  client.on('error', ignoreClientError);
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    failure = e as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.off('error', ignoreClientError);
    // A client whose connection failed is discarded, not returned to the pool.
    client.release(failure && isConnectionError(failure) ? failure : undefined);
  }
}

/** Insert evaluations and their cards (idempotent). */
async function writeEvaluations(client: PoolClient, rows: EvaluationRow[]): Promise<void> {
  if (rows.length === 0) return;
  const ev: unknown[] = [];
  const evTuples = rows.map((r, i) => {
    ev.push(r.evaluation_id, r.service_id, r.rule_set_version, r.hook_instance, r.patient_hash, r.order_count, r.card_count, r.evaluated_at);
    const b = i * 8;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8})`;
  });
  await client.query(
    `INSERT INTO evaluation(evaluation_id, service_id, rule_set_version, hook_instance, patient_hash, order_count, card_count, evaluated_at) VALUES ${evTuples.join(', ')} ON CONFLICT DO NOTHING`,
    ev,
  );
  const cards = rows.flatMap((r) => r.cards.map((c) => ({ ...c, r })));
  if (cards.length === 0) return;
  const cv: unknown[] = [];
  const cardTuples = cards.map((c, i) => {
    cv.push(c.card_uuid, c.r.evaluation_id, c.r.service_id, c.rule_id, c.indicator, c.r.hook_instance, c.r.patient_hash, c.suggestion_uuids, c.r.evaluated_at);
    const b = i * 9;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}, $${b + 9})`;
  });
  await client.query(
    `INSERT INTO issued_card(card_uuid, evaluation_id, service_id, rule_id, indicator, hook_instance, patient_hash, suggestion_uuids, issued_at) VALUES ${cardTuples.join(', ')} ON CONFLICT DO NOTHING`,
    cv,
  );
}

/** Insert feedback rows (idempotent by fingerprint); answers the rule id of each newly stored row's card. */
async function writeFeedback(client: PoolClient, rows: FeedbackRow[]): Promise<Map<string, string | undefined>> {
  const stored = new Map<string, string | undefined>();
  for (const r of rows) {
    const result = await client.query<{ rule_id: string | null }>(
      `WITH card AS (SELECT rule_id FROM issued_card WHERE card_uuid = $3 AND service_id = $2)
       INSERT INTO feedback(fingerprint, service_id, card_uuid, card_known, outcome, accepted_suggestions, override_system, override_code,
         override_display, user_comment, outcome_timestamp, received_at)
       VALUES ($1, $2, $3, (SELECT COUNT(*) FROM card), $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (fingerprint) DO NOTHING
       RETURNING (SELECT rule_id FROM card) AS rule_id`,
      [r.fingerprint, r.service_id, r.card_uuid, r.outcome, r.accepted_suggestions, r.override_system, r.override_code, r.override_display, r.user_comment, r.outcome_timestamp, r.received_at],
    );
    if (result.rowCount === 1) stored.set(r.fingerprint, result.rows[0]?.rule_id ?? undefined);
  }
  return stored;
}

export class PostgresCardStore implements CardStore {
  readonly pool: Pool;
  readonly outbox: Outbox;
  /** Resolves when the store can take writes (migrated, or writing to the outbox because PostgreSQL is down). */
  readonly ready: Promise<void>;
  private hash: PatientHasher | undefined;
  private queued = false;
  private migrated = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private closed = false;
  private readonly batches: GroupCommit<EvaluationRow>;

  constructor(
    private readonly cfg: AppConfig['store'] & { databaseUrl: string },
    private readonly deps: PostgresStoreDeps,
  ) {
    this.pool = new Pool({
      connectionString: cfg.databaseUrl,
      max: cfg.pool.max,
      connectionTimeoutMillis: cfg.pool.connectTimeoutMs,
      idleTimeoutMillis: cfg.pool.idleTimeoutMs,
      statement_timeout: cfg.pool.statementTimeoutMs,
      query_timeout: cfg.pool.statementTimeoutMs + 500,
      application_name: 'imatinib-cds',
    });
    // An idle client whose server went away must not crash the process.
    this.pool.on('error', (e) => {
      deps.metrics.stateError('store');
      deps.logger.warn('PostgreSQL connection error', { message: e.message });
    });
    this.outbox = new Outbox(cfg.outboxPath ?? `${cfg.path}.outbox`);
    deps.metrics.outboxDepth(this.outbox.depth);
    this.batches = new GroupCommit((rows) => transaction(this.pool, (c) => writeEvaluations(c, rows)));
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    try {
      await migrate(this.pool);
      this.migrated = true;
      const salt = await databaseSalt(this.pool, this.cfg.patientHashSalt);
      this.outbox.cacheSalt(salt);
      this.hash = patientHasher(salt);
      if (this.outbox.depth > 0) this.goQueued('rows left in the outbox from an earlier outage');
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      const salt = this.cfg.patientHashSalt ?? this.outbox.cachedSalt();
      if (!salt) {
        throw new Error(
          'PostgreSQL is unreachable and no patient-hash salt is known yet: set store.patientHashSalt (recommended for a fleet) or start once while PostgreSQL is reachable',
        );
      }
      this.hash = patientHasher(salt);
      this.goQueued(`PostgreSQL unreachable at start-up (${(e as Error).message})`);
    }
  }

  /** Writes go to the outbox until it has drained. */
  private goQueued(why: string): void {
    if (!this.queued) this.deps.logger.warn('record store: writing to the local outbox', { reason: why, depth: this.outbox.depth });
    this.queued = true;
    this.scheduleDrain(0);
  }

  private scheduleDrain(delayMs: number): void {
    if (this.drainTimer || this.closed) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      void this.drain();
    }, delayMs);
    this.drainTimer.unref();
  }

  /** Apply the outbox to PostgreSQL, oldest first, until it is empty; then write directly again. */
  private async drain(): Promise<void> {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      if (!this.migrated) {
        await migrate(this.pool);
        this.migrated = true;
      }
      for (;;) {
        const entries = this.outbox.peek(DRAIN_BATCH);
        if (entries.length === 0) {
          // Synchronous with every append (better-sqlite3), so no write can slip in between.
          this.queued = false;
          this.deps.logger.info('record store: outbox drained; writing to PostgreSQL again');
          break;
        }
        await this.apply(entries);
        this.outbox.remove(entries[entries.length - 1]?.seq ?? 0);
        this.deps.metrics.outboxDepth(this.outbox.depth);
      }
    } catch (e) {
      this.deps.metrics.stateError('store');
      if (!isConnectionError(e)) this.deps.logger.error('record store: outbox drain failed', { reason: (e as Error).message });
      this.scheduleDrain(this.cfg.outboxDrainIntervalMs);
    } finally {
      this.draining = false;
    }
  }

  private async apply(entries: OutboxEntry[]): Promise<void> {
    await transaction(this.pool, async (client) => {
      // In order, so a card is in before the feedback about it.
      let evaluations: EvaluationRow[] = [];
      for (const e of entries) {
        if (e.kind === 'evaluation') {
          evaluations.push(e.row);
          continue;
        }
        await writeEvaluations(client, evaluations);
        evaluations = [];
        await writeFeedback(client, [e.row]);
      }
      await writeEvaluations(client, evaluations);
    });
  }

  private toOutbox(e: unknown): void {
    this.deps.metrics.stateError('store');
    const level = isConnectionError(e) ? 'warn' : 'error';
    this.deps.logger.log(level, 'PostgreSQL write failed; keeping the record in the local outbox', { reason: (e as Error).message });
    this.goQueued(isConnectionError(e) ? 'PostgreSQL unreachable' : 'PostgreSQL write failed');
  }

  async recordEvaluation(evaluation: EvaluationRecord): Promise<void> {
    await this.ready;
    const row = evaluationRow(evaluation, this.hash as PatientHasher);
    if (!this.queued) {
      try {
        await this.batches.add(row);
        return;
      } catch (e) {
        // Whatever went wrong, the record must not be lost and the cards must still be answered.
        this.toOutbox(e);
      }
    }
    try {
      this.outbox.appendEvaluation(row);
    } catch (e) {
      this.deps.metrics.stateError('outbox');
      throw e;
    }
    this.deps.metrics.outboxDepth(this.outbox.depth);
  }

  async recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult> {
    await this.ready;
    const rows = items.map((item) => feedbackRow(serviceId, item, receivedAt));
    if (!this.queued) {
      try {
        await this.batches.flush();
        const stored = await transaction(this.pool, (c) => writeFeedback(c, rows));
        const result: FeedbackResult = { stored: stored.size, duplicates: rows.length - stored.size, unknownCards: 0, queued: 0, recorded: [] };
        rows.forEach((r, i) => {
          if (!stored.has(r.fingerprint)) return;
          const ruleId = stored.get(r.fingerprint);
          if (ruleId === undefined) result.unknownCards++;
          result.recorded.push({ ruleId: ruleId ?? 'unknown', outcome: items[i]?.outcome ?? 'unknown' });
        });
        return result;
      } catch (e) {
        this.toOutbox(e);
      }
    }
    let added: boolean[];
    try {
      added = this.outbox.appendFeedback(rows);
    } catch (e) {
      this.deps.metrics.stateError('outbox');
      throw e;
    }
    this.deps.metrics.outboxDepth(this.outbox.depth);
    const queued = added.filter(Boolean).length;
    return {
      stored: queued,
      duplicates: rows.length - queued,
      unknownCards: 0,
      queued,
      recorded: items.filter((_item, i) => added[i]).map((item) => ({ ruleId: 'unknown', outcome: item.outcome })),
    };
  }

  async periodRows(query: PeriodQuery): Promise<PeriodRows> {
    await this.ready;
    await this.batches.flush().catch(() => undefined);
    // Rows still in the outbox would be missing from the figures: drain first, and refuse an incomplete report.
    if (this.queued || this.outbox.depth > 0) await this.drain();
    if (this.queued || this.outbox.depth > 0) throw new StateUnavailableError('record store (PostgreSQL is unreachable or catching up; the report would be incomplete)', 30);
    const q = periodStatements(query, 'postgres');
    const client = await this.pool.connect();
    try {
      // One snapshot for the three reads.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const [evaluations, cards, feedback] = [
        await client.query(q.evaluations.sql, q.evaluations.params),
        await client.query(q.cards.sql, q.cards.params),
        await client.query(q.feedback.sql, q.feedback.params),
      ];
      await client.query('COMMIT');
      return toPeriodRows(evaluations.rows, cards.rows, feedback.rows);
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (isConnectionError(e)) throw new StateUnavailableError('record store (PostgreSQL is unreachable)', 30);
      throw e;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<boolean> {
    // PostgreSQL being down does not stop the service: the outbox takes the writes.
    return this.outbox.writable();
  }

  /** Rows waiting in the outbox (tests, metrics). */
  get outboxDepth(): number {
    return this.outbox.depth;
  }

  /** Try to drain now (tests; the timer does it on its own). */
  async drainNow(): Promise<void> {
    await this.ready.catch(() => undefined);
    if (this.outbox.depth > 0) await this.drain();
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.batches.flush().catch(() => undefined);
    this.closed = true;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.outbox.close();
    await this.pool.end().catch(() => undefined);
  }
}
