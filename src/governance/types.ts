/**
 * Alert governance: the figures a pharmacy and therapeutics committee reviews, computed from the record the
 * stores keep (evaluations, issued cards, feedback), the same on SQLite and PostgreSQL. The store hands over
 * the rows of a period (PeriodRows); everything else is pure computation and rendering.
 */

export interface PeriodQuery {
  /** First day (UTC, inclusive), YYYY-MM-DD. */
  from: string;
  /** Last day (UTC, inclusive), YYYY-MM-DD. */
  to: string;
  /** Only this service id, when given. */
  service?: string;
}

export interface EvaluationRow {
  evaluationId: string;
  serviceId: string;
  /** ISO-8601. */
  evaluatedAt: string;
}

export interface CardRow {
  cardUuid: string;
  serviceId: string;
  ruleId: string;
  /** critical / warning / info; null for cards recorded before indicators were stored. */
  indicator: string | null;
  patientHash: string;
  /** ISO-8601. */
  issuedAt: string;
  /** Suggestions the card carried. */
  suggestionCount: number;
}

export interface FeedbackRow {
  cardUuid: string;
  serviceId: string;
  outcome: 'accepted' | 'overridden';
  /** The clinician accepted one of the card's suggestions. */
  acceptedSuggestion: boolean;
  overrideSystem: string | null;
  overrideCode: string | null;
  overrideDisplay: string | null;
  /** When the clinician acted (ISO-8601). */
  outcomeTimestamp: string;
}

export interface PeriodRows {
  /** Evaluations in the period. */
  evaluations: EvaluationRow[];
  /**
   * Cards issued in the period, and also those issued in the 30 days before it (so that a card early in the
   * period can be recognised as a repeat of an earlier one).
   */
  cards: CardRow[];
  /** Feedback on the cards issued in the period (whenever it was given). */
  feedback: FeedbackRow[];
}

/** What a store can answer for governance (both stores implement it). */
export interface GovernanceSource {
  periodRows(query: PeriodQuery): Promise<PeriodRows>;
}

/** The override rate with its Wilson 95% interval; null when no feedback (0/0). */
export interface Rate {
  value: number | null;
  low: number | null;
  high: number | null;
}

export interface RuleFigures {
  ruleId: string;
  /** The rule's title (catalogue), or the code itself for a code the catalogue does not know. */
  title: string;
  /** Cards issued in the period. */
  cards: number;
  /** cards / evaluations × 100 (null when there were no evaluations). */
  perHundredEvaluations: number | null;
  /** Cards with at least one feedback item (feedback coverage = feedback / cards). */
  feedback: number;
  accepted: number;
  overridden: number;
  /** overridden / (accepted + overridden), with its Wilson 95% interval. */
  overrideRate: Rate;
  /** Accepted feedback items that took one of the card's suggestions. */
  suggestionsAccepted: number;
  /** Most frequent first; a reason without a code is counted under "uncoded" (free-text comment only). */
  overrideReasons: Array<{ code: string; display: string; count: number }>;
  /** Median minutes from issue to feedback (null without feedback). */
  medianMinutesToFeedback: number | null;
  /** Cards for the same patient hash and rule within 30 days after an earlier one. */
  repeatAlerts: number;
  /** Last card of this rule before the end of the period (ISO), null if none in the period's data. */
  lastFired: string | null;
  /** Fired earlier in the period but not in the last `silentDays` days of it. */
  silent: boolean;
}

export interface AlertReport {
  from: string;
  to: string;
  service?: string;
  generatedAt: string;
  evaluations: number;
  rules: RuleFigures[];
  /** Cards per ISO week (YYYY-Www, weeks starting Monday, UTC) and rule, every week of the period. */
  weekly: Array<{ week: string; ruleId: string; cards: number }>;
  /** The thresholds the report was made with. */
  settings: { silentDays: number; suppressBelow: number };
}
