/**
 * The governance read, the same for both stores: the rows of a period (evaluations, cards, and feedback on
 * those cards) as GovernanceSource hands them to the analytics. One set of SQL, rendered per dialect
 * (placeholders only differ); times come back as ISO-8601 whatever the column type.
 */
import type { CardRow, EvaluationRow, FeedbackRow, PeriodQuery, PeriodRows } from '../governance/types';
import { periodBounds, repeatWindowStart } from '../governance/period';
import type { Dialect } from './schema';

export interface PeriodStatement {
  sql: string;
  params: string[];
}

export interface PeriodStatements {
  evaluations: PeriodStatement;
  cards: PeriodStatement;
  feedback: PeriodStatement;
}

/**
 * Cards are read from 30 days before the period (a card early in the period may repeat an earlier one);
 * feedback only on the period's cards, whenever it was given.
 */
export function periodStatements(query: PeriodQuery, dialect: Dialect): PeriodStatements {
  const { start, end } = periodBounds(query);
  const windowStart = repeatWindowStart(query);
  const p = (n: number) => (dialect === 'postgres' ? `$${n}` : '?');
  const service = (column: string, n: number) => (query.service ? ` AND ${column} = ${p(n)}` : '');
  const withService = (params: string[]) => (query.service ? [...params, query.service] : params);
  const iso = (d: Date) => d.toISOString();
  return {
    evaluations: {
      sql: `SELECT evaluation_id, service_id, evaluated_at FROM evaluation WHERE evaluated_at >= ${p(1)} AND evaluated_at < ${p(2)}${service('service_id', 3)} ORDER BY evaluated_at, evaluation_id`,
      params: withService([iso(start), iso(end)]),
    },
    cards: {
      sql: `SELECT card_uuid, service_id, rule_id, indicator, patient_hash, issued_at, suggestion_uuids FROM issued_card WHERE issued_at >= ${p(1)} AND issued_at < ${p(2)}${service('service_id', 3)} ORDER BY issued_at, card_uuid`,
      params: withService([iso(windowStart), iso(end)]),
    },
    feedback: {
      sql:
        `SELECT f.card_uuid, f.service_id, f.outcome, f.accepted_suggestions, f.override_system, f.override_code, f.override_display, f.outcome_timestamp ` +
        `FROM feedback f JOIN issued_card c ON c.card_uuid = f.card_uuid AND c.service_id = f.service_id ` +
        `WHERE c.issued_at >= ${p(1)} AND c.issued_at < ${p(2)}${service('c.service_id', 3)} ORDER BY f.outcome_timestamp, f.id`,
      params: withService([iso(start), iso(end)]),
    },
  };
}

type Raw = Record<string, unknown>;

/** ISO-8601 from SQLite text or a PostgreSQL timestamptz (a Date). */
function isoTime(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

function jsonCount(value: unknown): number {
  if (typeof value !== 'string' || value === '') return 0;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.length : 0;
  } catch {
    return 0;
  }
}

const textOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function toPeriodRows(evaluations: Raw[], cards: Raw[], feedback: Raw[]): PeriodRows {
  return {
    evaluations: evaluations.map(
      (r): EvaluationRow => ({ evaluationId: String(r.evaluation_id), serviceId: String(r.service_id), evaluatedAt: isoTime(r.evaluated_at) }),
    ),
    cards: cards.map(
      (r): CardRow => ({
        cardUuid: String(r.card_uuid),
        serviceId: String(r.service_id),
        ruleId: String(r.rule_id),
        indicator: textOrNull(r.indicator),
        patientHash: String(r.patient_hash),
        issuedAt: isoTime(r.issued_at),
        suggestionCount: jsonCount(r.suggestion_uuids),
      }),
    ),
    feedback: feedback.map(
      (r): FeedbackRow => ({
        cardUuid: String(r.card_uuid),
        serviceId: String(r.service_id),
        outcome: r.outcome === 'overridden' ? 'overridden' : 'accepted',
        acceptedSuggestion: r.outcome === 'accepted' && jsonCount(r.accepted_suggestions) > 0,
        overrideSystem: textOrNull(r.override_system),
        overrideCode: textOrNull(r.override_code),
        overrideDisplay: textOrNull(r.override_display),
        outcomeTimestamp: isoTime(r.outcome_timestamp),
      }),
    ),
  };
}
