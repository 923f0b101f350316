/**
 * The record of what the service issued and what clinicians did with it (not on the safety path): every
 * evaluation of imatinib orders (also one that issued no card), the cards it issued, and the feedback on them.
 * One asynchronous interface; SQLite (embedded default) and PostgreSQL (DATABASE_URL, with a local outbox)
 * implement it and pass the same conformance suite. Patient ids are never stored: only a salted HMAC.
 */
import type { FeedbackItem } from '../protocol/schemas';
import type { GovernanceSource } from '../governance/types';

export interface IssuedCard {
  cardUuid: string;
  ruleId: string;
  indicator: string;
  suggestionUuids: string[];
}

/** One evaluation of the imatinib orders of one request, with the cards it issued ([] when none). */
export interface EvaluationRecord {
  evaluationId: string;
  serviceId: string;
  /** Rule set version of the cards (source.label), e.g. "1.1.0". */
  ruleSetVersion: string;
  hookInstance: string;
  /** Hashed by the store (HMAC-SHA256 under its salt) before anything is written. */
  patientId: string;
  orderCount: number;
  evaluatedAt: Date;
  cards: IssuedCard[];
}

export interface FeedbackResult {
  /** Items newly stored. */
  stored: number;
  /** Items already stored earlier (repeats are idempotent). */
  duplicates: number;
  /** Items whose card uuid no instance issued (stored all the same, flagged). */
  unknownCards: number;
  /** Items kept in the local outbox because PostgreSQL is unreachable (durable; card lookup deferred). */
  queued: number;
  /** Rule id of each newly stored item's card ("unknown" when not known yet), with its outcome, for metrics. */
  recorded: Array<{ ruleId: string; outcome: string }>;
}

/** Both stores also answer the governance read (alert analytics): GovernanceSource.periodRows. */
export interface CardStore extends GovernanceSource {
  /** Resolves once the evaluation and its cards are durable (committed, or in the outbox). */
  recordEvaluation(evaluation: EvaluationRecord): Promise<void>;
  /** Resolves once every item is durable (committed, or in the outbox): only then may the client be answered. */
  recordFeedback(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<FeedbackResult>;
  /** The store can take writes (its database, or the outbox when PostgreSQL is down). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
