/**
 * Issued cards and the feedback given on them, in an embedded SQLite database (better-sqlite3, WAL).
 * Patient ids are never stored: only an HMAC-SHA256 under a per-database (or configured) salt.
 * Writes are synchronous and committed before the HTTP response is sent, so an acknowledged write survives
 * a process crash (kill -9): WAL with synchronous=NORMAL loses nothing on a process crash, only possibly the
 * last transactions on an operating-system crash or power loss.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FeedbackItem } from '../protocol/schemas';

export interface IssuedCard {
  cardUuid: string;
  serviceId: string;
  ruleId: string;
  hookInstance: string;
  patientId: string;
  suggestionUuids: string[];
}

export interface FeedbackResult {
  /** Items newly stored. */
  stored: number;
  /** Items already stored earlier (repeats are idempotent). */
  duplicates: number;
  /** Items whose card uuid this service never issued (stored all the same, flagged). */
  unknownCards: number;
}

export interface CardStore {
  recordIssued(cards: IssuedCard[], issuedAt: Date): void;
  recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): FeedbackResult;
  /** Cheap liveness probe of the database. */
  ping(): boolean;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS issued_card (
  card_uuid TEXT PRIMARY KEY,
  service_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  hook_instance TEXT NOT NULL,
  patient_hash TEXT NOT NULL,
  suggestion_uuids TEXT NOT NULL,
  issued_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  service_id TEXT NOT NULL,
  card_uuid TEXT NOT NULL,
  card_known INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  accepted_suggestions TEXT,
  override_system TEXT,
  override_code TEXT,
  override_display TEXT,
  user_comment TEXT,
  outcome_timestamp TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_card ON feedback(card_uuid);
`;

/** Canonical identity of a feedback item, so a repeated delivery is recognised whatever its key order. */
function fingerprint(serviceId: string, item: FeedbackItem): string {
  const canonical = JSON.stringify([
    serviceId,
    item.card,
    item.outcome,
    (item.acceptedSuggestions ?? []).map((s) => s.id).sort(),
    item.overrideReason?.reason?.system ?? null,
    item.overrideReason?.reason?.code ?? null,
    item.overrideReason?.userComment ?? null,
    new Date(item.outcomeTimestamp).toISOString(),
  ]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

export function openCardStore(options: { path: string; patientHashSalt?: string }): CardStore {
  if (options.path !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  let salt = options.patientHashSalt;
  if (!salt) {
    db.prepare("INSERT OR IGNORE INTO meta(key, value) VALUES ('patient_hash_salt', ?)").run(crypto.randomBytes(32).toString('hex'));
    salt = (db.prepare("SELECT value FROM meta WHERE key = 'patient_hash_salt'").get() as { value: string }).value;
  }
  const patientSalt = salt;
  const hashPatient = (id: string) => crypto.createHmac('sha256', patientSalt).update(id).digest('hex');

  const insertCard = db.prepare(
    'INSERT OR IGNORE INTO issued_card(card_uuid, service_id, rule_id, hook_instance, patient_hash, suggestion_uuids, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const cardKnown = db.prepare('SELECT 1 FROM issued_card WHERE card_uuid = ? AND service_id = ?').pluck();
  const insertFeedback = db.prepare(
    `INSERT OR IGNORE INTO feedback(fingerprint, service_id, card_uuid, card_known, outcome, accepted_suggestions, override_system, override_code,
       override_display, user_comment, outcome_timestamp, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const ping = db.prepare('SELECT 1').pluck();

  const recordIssued = db.transaction((cards: IssuedCard[], issuedAt: string) => {
    for (const c of cards) {
      insertCard.run(c.cardUuid, c.serviceId, c.ruleId, c.hookInstance, hashPatient(c.patientId), JSON.stringify(c.suggestionUuids), issuedAt);
    }
  });

  const recordFeedback = db.transaction((serviceId: string, items: FeedbackItem[], receivedAt: string): FeedbackResult => {
    const result: FeedbackResult = { stored: 0, duplicates: 0, unknownCards: 0 };
    for (const item of items) {
      const known = cardKnown.get(item.card, serviceId) !== undefined;
      if (!known) result.unknownCards++;
      const reason = item.overrideReason?.reason;
      const info = insertFeedback.run(
        fingerprint(serviceId, item),
        serviceId,
        item.card,
        known ? 1 : 0,
        item.outcome,
        item.acceptedSuggestions ? JSON.stringify(item.acceptedSuggestions.map((s) => s.id)) : null,
        reason?.system ?? null,
        reason?.code ?? null,
        reason?.display ?? null,
        item.overrideReason?.userComment ?? null,
        item.outcomeTimestamp,
        receivedAt,
      );
      if (info.changes === 1) result.stored++;
      else result.duplicates++;
    }
    return result;
  });

  return {
    recordIssued: (cards, issuedAt) => {
      if (cards.length) recordIssued(cards, issuedAt.toISOString());
    },
    recordFeedback: (serviceId, items, receivedAt) => recordFeedback(serviceId, items, receivedAt.toISOString()),
    ping: () => ping.get() === 1,
    close: () => db.close(),
  };
}
