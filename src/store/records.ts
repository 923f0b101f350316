/**
 * The rows every store writes, built the same way for SQLite, PostgreSQL and the outbox: the patient id
 * replaced by its HMAC, feedback identified by a canonical fingerprint (a repeated delivery is recognised
 * whatever its key order), times as ISO-8601.
 */
import crypto from 'node:crypto';
import type { FeedbackItem } from '../protocol/schemas';
import type { EvaluationRecord } from './types';

export interface EvaluationRow {
  evaluation_id: string;
  service_id: string;
  rule_set_version: string;
  hook_instance: string;
  patient_hash: string;
  order_count: number;
  card_count: number;
  evaluated_at: string;
  cards: Array<{ card_uuid: string; rule_id: string; indicator: string; suggestion_uuids: string }>;
}

export interface FeedbackRow {
  fingerprint: string;
  service_id: string;
  card_uuid: string;
  outcome: string;
  accepted_suggestions: string | null;
  override_system: string | null;
  override_code: string | null;
  override_display: string | null;
  user_comment: string | null;
  outcome_timestamp: string;
  received_at: string;
}

export type PatientHasher = (patientId: string) => string;

const HASHES_MAX = 2048;

/**
 * HMAC-SHA256 of the patient id under the salt. The same patients come back (every order of an encounter is
 * evaluated), so recent hashes are kept in a bounded map held by this hasher only; the ids themselves never
 * leave the process.
 */
export function patientHasher(salt: string): PatientHasher {
  const recent = new Map<string, string>();
  return (id) => {
    let hash = recent.get(id);
    if (hash === undefined) {
      hash = crypto.createHmac('sha256', salt).update(id).digest('hex');
      if (recent.size >= HASHES_MAX) recent.clear();
      recent.set(id, hash);
    }
    return hash;
  };
}

/** A new random salt (kept in the database's meta table when none is configured). */
export function newSalt(): string {
  return crypto.randomBytes(32).toString('hex');
}

export function evaluationRow(e: EvaluationRecord, hash: PatientHasher): EvaluationRow {
  return {
    evaluation_id: e.evaluationId,
    service_id: e.serviceId,
    rule_set_version: e.ruleSetVersion,
    hook_instance: e.hookInstance,
    patient_hash: hash(e.patientId),
    order_count: e.orderCount,
    card_count: e.cards.length,
    evaluated_at: e.evaluatedAt.toISOString(),
    cards: e.cards.map((c) => ({ card_uuid: c.cardUuid, rule_id: c.ruleId, indicator: c.indicator, suggestion_uuids: JSON.stringify(c.suggestionUuids) })),
  };
}

/** Canonical identity of a feedback item, so a repeated delivery is recognised whatever its key order. */
export function fingerprint(serviceId: string, item: FeedbackItem): string {
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

export function feedbackRow(serviceId: string, item: FeedbackItem, receivedAt: Date): FeedbackRow {
  const reason = item.overrideReason?.reason;
  return {
    fingerprint: fingerprint(serviceId, item),
    service_id: serviceId,
    card_uuid: item.card,
    outcome: item.outcome,
    accepted_suggestions: item.acceptedSuggestions ? JSON.stringify(item.acceptedSuggestions.map((s) => s.id)) : null,
    override_system: reason?.system ?? null,
    override_code: reason?.code ?? null,
    override_display: reason?.display ?? null,
    user_comment: item.overrideReason?.userComment ?? null,
    outcome_timestamp: new Date(item.outcomeTimestamp).toISOString(),
    received_at: receivedAt.toISOString(),
  };
}
