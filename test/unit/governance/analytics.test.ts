import { computeAlertReport, isoWeek, median, periodWeeks, wilsonInterval, type AlertReportOptions } from '../../../src/governance/analytics';
import type { CardRow, EvaluationRow, FeedbackRow, PeriodQuery, PeriodRows, RuleFigures } from '../../../src/governance/types';

const SIGN = 'imatinib-order-sign';
const VERIFY = 'imatinib-pharmacy-verify';
const Q1: PeriodQuery = { from: '2026-01-01', to: '2026-03-31' };
const RULES = [
  { id: 'DOSE_ABOVE_MAX', title: 'Dose above the maximum' },
  { id: 'WARFARIN', title: 'Warfarin interaction' },
  { id: 'PREGNANCY', title: 'Pregnancy' },
];
const OPTS: AlertReportOptions = { silentDays: 14, suppressBelow: 5, generatedAt: new Date('2026-04-02T08:00:00.000Z'), rules: RULES };

let seq = 0;
function card(ruleId: string, patientHash: string, issuedAt: string, extra: Partial<CardRow> = {}): CardRow {
  seq++;
  return { cardUuid: `card-${seq}`, serviceId: SIGN, ruleId, indicator: 'warning', patientHash, issuedAt, suggestionCount: 1, ...extra };
}
function feedback(c: CardRow, outcome: FeedbackRow['outcome'], outcomeTimestamp: string, extra: Partial<FeedbackRow> = {}): FeedbackRow {
  return { cardUuid: c.cardUuid, serviceId: c.serviceId, outcome, acceptedSuggestion: false, overrideSystem: null, overrideCode: null, overrideDisplay: null, outcomeTimestamp, ...extra };
}
function evaluation(evaluatedAt: string, serviceId = SIGN): EvaluationRow {
  seq++;
  return { evaluationId: `ev-${seq}`, serviceId, evaluatedAt };
}
function rows(partial: Partial<PeriodRows>): PeriodRows {
  return { evaluations: [], cards: [], feedback: [], ...partial };
}
function rule(report: { rules: RuleFigures[] }, id: string): RuleFigures {
  const found = report.rules.find((r) => r.ruleId === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
}

describe('wilsonInterval', () => {
  it('matches known values', () => {
    expect(wilsonInterval(8, 10)).toEqual({ value: 0.8, low: 0.4902, high: 0.9433 });
    expect(wilsonInterval(0, 5)).toEqual({ value: 0, low: 0, high: 0.4345 });
    expect(wilsonInterval(5, 5)).toEqual({ value: 1, low: 0.5655, high: 1 });
    expect(wilsonInterval(1, 3)).toEqual({ value: 0.3333, low: 0.0615, high: 0.7923 });
  });
  it('is all null without items', () => {
    expect(wilsonInterval(0, 0)).toEqual({ value: null, low: null, high: null });
  });
  it('never gives -0', () => {
    expect(Object.is(wilsonInterval(0, 1).low, 0)).toBe(true);
  });
});

describe('median', () => {
  it('odd, even, none', () => {
    expect(median([40, 10, 20])).toBe(20);
    expect(median([45, 10, 30, 20])).toBe(25);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNull();
  });
});

describe('ISO weeks', () => {
  it.each([
    ['2026-01-01', '2026-W01'],
    ['2026-12-28', '2026-W53'],
    ['2026-12-31', '2026-W53'],
    ['2027-01-01', '2026-W53'],
    ['2027-01-03', '2026-W53'],
    ['2027-01-04', '2027-W01'],
    ['2020-12-31', '2020-W53'],
    ['2021-01-03', '2020-W53'],
    ['2021-01-04', '2021-W01'],
    ['2019-12-30', '2020-W01'],
    ['2025-12-29', '2026-W01'],
    ['2024-12-30', '2025-W01'],
  ])('%s is in %s', (day, week) => {
    expect(isoWeek(new Date(`${day}T00:00:00.000Z`))).toBe(week);
    expect(isoWeek(new Date(`${day}T23:59:59.999Z`))).toBe(week);
  });

  it('lists every week intersecting the period, partial ones included', () => {
    expect(periodWeeks({ from: '2026-12-30', to: '2027-01-11' })).toEqual(['2026-W53', '2027-W01', '2027-W02']);
    expect(periodWeeks({ from: '2026-01-04', to: '2026-01-04' })).toEqual(['2026-W01']);
    expect(periodWeeks(Q1)).toHaveLength(14); // 2026-W01 (Thu 1 Jan) .. 2026-W14 (Mon 30 Mar – Tue 31 Mar)
    expect(periodWeeks(Q1).at(-1)).toBe('2026-W14');
  });
});

describe('computeAlertReport', () => {
  it('counts evaluations in [from 00:00Z, day after to 00:00Z) of the service', () => {
    const r = computeAlertReport(
      rows({
        evaluations: [
          evaluation('2025-12-31T23:59:59.999Z'),
          evaluation('2026-01-01T00:00:00.000Z'),
          evaluation('2026-03-31T23:59:59.999Z'),
          evaluation('2026-04-01T00:00:00.000Z'),
          evaluation('2026-02-01T10:00:00.000Z', VERIFY),
        ],
      }),
      Q1,
      OPTS,
    );
    expect(r.evaluations).toBe(3);
    expect(computeAlertReport(rows({ evaluations: [evaluation('2026-02-01T10:00:00Z'), evaluation('2026-02-01T10:00:00Z', VERIFY)] }), { ...Q1, service: VERIFY }, OPTS).evaluations).toBe(1);
  });

  it('lists every catalogue rule in order, even without cards, then the other codes alphabetically', () => {
    const r = computeAlertReport(
      rows({ cards: [card('VERIFICATION_SUMMARY', 'p1', '2026-02-01T00:00:00Z'), card('WARFARIN', 'p1', '2026-02-01T00:00:00Z'), card('DATA_INCOMPLETE', 'p2', '2026-02-02T00:00:00Z')] }),
      Q1,
      OPTS,
    );
    expect(r.rules.map((x) => x.ruleId)).toEqual(['DOSE_ABOVE_MAX', 'WARFARIN', 'PREGNANCY', 'DATA_INCOMPLETE', 'VERIFICATION_SUMMARY']);
    expect(rule(r, 'DATA_INCOMPLETE').title).toBe('DATA_INCOMPLETE');
    expect(rule(r, 'WARFARIN').title).toBe('Warfarin interaction');
    expect(rule(r, 'PREGNANCY')).toEqual({
      ruleId: 'PREGNANCY',
      title: 'Pregnancy',
      cards: 0,
      perHundredEvaluations: null,
      feedback: 0,
      accepted: 0,
      overridden: 0,
      overrideRate: { value: null, low: null, high: null },
      suggestionsAccepted: 0,
      overrideReasons: [],
      medianMinutesToFeedback: null,
      repeatAlerts: 0,
      lastFired: null,
      silent: false,
    });
  });

  it('counts only period cards, per hundred evaluations to one decimal', () => {
    const evaluations = Array.from({ length: 7 }, () => evaluation('2026-02-01T00:00:00Z'));
    const cards = [
      card('WARFARIN', 'p1', '2026-01-05T00:00:00Z'),
      card('WARFARIN', 'p2', '2026-02-05T00:00:00Z'),
      card('WARFARIN', 'p3', '2026-03-31T23:59:59Z'),
      card('WARFARIN', 'p4', '2025-12-20T00:00:00Z'), // the 30 days before: not counted
      card('WARFARIN', 'p5', '2026-04-01T00:00:00Z'), // after the period: ignored
    ];
    const r = computeAlertReport(rows({ evaluations, cards }), Q1, OPTS);
    expect(rule(r, 'WARFARIN').cards).toBe(3);
    expect(rule(r, 'WARFARIN').perHundredEvaluations).toBe(42.9);
    expect(rule(r, 'DOSE_ABOVE_MAX').perHundredEvaluations).toBe(0);
  });

  it('counts feedback items (several per card possible) and cards with feedback', () => {
    const a = card('WARFARIN', 'p1', '2026-01-10T10:00:00Z');
    const b = card('WARFARIN', 'p2', '2026-01-11T10:00:00Z');
    const c = card('WARFARIN', 'p3', '2026-01-12T10:00:00Z');
    const early = card('WARFARIN', 'p4', '2025-12-20T10:00:00Z');
    const r = computeAlertReport(
      rows({
        cards: [a, b, c, early],
        feedback: [
          feedback(a, 'accepted', '2026-01-10T10:05:00Z', { acceptedSuggestion: true }),
          feedback(a, 'overridden', '2026-01-10T10:30:00Z', { overrideSystem: 's', overrideCode: 'benefit', overrideDisplay: 'Benefit outweighs risk' }),
          feedback(b, 'accepted', '2026-01-11T10:10:00Z'),
          feedback(early, 'overridden', '2025-12-20T10:01:00Z'), // not a period card: ignored
          { ...feedback(c, 'overridden', '2026-01-12T10:00:00Z'), cardUuid: 'unknown-card' },
        ],
      }),
      Q1,
      OPTS,
    );
    const w = rule(r, 'WARFARIN');
    expect(w.feedback).toBe(2);
    expect(w.accepted).toBe(2);
    expect(w.overridden).toBe(1);
    expect(w.suggestionsAccepted).toBe(1);
    expect(w.overrideRate).toEqual({ value: 0.3333, low: 0.0615, high: 0.7923 });
    // 5, 30, 10 minutes → 10.
    expect(w.medianMinutesToFeedback).toBe(10);
  });

  it('gives the override rate with its Wilson interval: 8 of 10 overridden', () => {
    const cards = Array.from({ length: 10 }, (_, i) => card('DOSE_ABOVE_MAX', `p${i}`, '2026-02-01T00:00:00Z'));
    const fb = cards.map((c, i) => feedback(c, i < 8 ? 'overridden' : 'accepted', '2026-02-01T00:01:00Z'));
    expect(rule(computeAlertReport(rows({ cards, feedback: fb }), Q1, OPTS), 'DOSE_ABOVE_MAX').overrideRate).toEqual({ value: 0.8, low: 0.4902, high: 0.9433 });
  });

  it('median minutes: even count, one decimal, negative differences as 0', () => {
    const cards = Array.from({ length: 4 }, (_, i) => card('WARFARIN', `p${i}`, '2026-02-01T00:00:00Z'));
    const times = ['2026-01-31T23:50:00Z', '2026-02-01T00:01:40Z', '2026-02-01T00:03:00Z', '2026-02-01T01:00:00Z'];
    const fb = cards.map((c, i) => feedback(c, 'accepted', times[i] as string));
    // 0 (clamped), 1.667, 3, 60 → (1.667 + 3) / 2 = 2.333 → 2.3
    expect(rule(computeAlertReport(rows({ cards, feedback: fb }), Q1, OPTS), 'WARFARIN').medianMinutesToFeedback).toBe(2.3);
  });

  it('groups override reasons by system and code, latest display, uncoded, most frequent first', () => {
    const cards = Array.from({ length: 7 }, (_, i) => card('WARFARIN', `p${i}`, '2026-02-01T00:00:00Z'));
    const o = (i: number, at: string, code: string | null, display: string | null, system: string | null = 'urn:reasons') =>
      feedback(cards[i] as CardRow, 'overridden', at, { overrideSystem: system, overrideCode: code, overrideDisplay: display });
    const fb = [
      o(0, '2026-02-01T01:00:00Z', 'monitored', 'Will monitor'),
      o(1, '2026-02-03T01:00:00Z', 'monitored', 'Will monitor INR'),
      o(2, '2026-02-02T01:00:00Z', 'monitored', null),
      o(3, '2026-02-01T01:00:00Z', null, 'typed comment', null),
      o(4, '2026-02-01T01:00:00Z', 'benefit', null),
      o(5, '2026-02-01T01:00:00Z', 'agreed', 'Agreed with oncology'),
      feedback(cards[6] as CardRow, 'accepted', '2026-02-01T01:00:00Z', { overrideCode: 'ignored-on-accept' }),
    ];
    expect(rule(computeAlertReport(rows({ cards, feedback: fb }), Q1, OPTS), 'WARFARIN').overrideReasons).toEqual([
      { code: 'monitored', display: 'Will monitor INR', count: 3 },
      { code: 'agreed', display: 'Agreed with oncology', count: 1 },
      { code: 'benefit', display: 'benefit', count: 1 },
      { code: 'uncoded', display: 'No reason given', count: 1 },
    ]);
  });

  describe('repeat alerts', () => {
    const repeats = (cards: CardRow[], query: PeriodQuery = Q1) => rule(computeAlertReport(rows({ cards }), query, OPTS), 'WARFARIN').repeatAlerts;

    it('a card 10 days before the period makes the first period card a repeat', () => {
      expect(repeats([card('WARFARIN', 'p1', '2025-12-22T09:00:00Z'), card('WARFARIN', 'p1', '2026-01-01T09:00:00Z')])).toBe(1);
    });

    it('an earlier card 31 days before does not', () => {
      expect(repeats([card('WARFARIN', 'p1', '2025-12-05T09:00:00Z'), card('WARFARIN', 'p1', '2026-01-05T09:00:00Z')])).toBe(0);
    });

    it('exactly 30 × 24 h is a repeat, 1 ms more is not', () => {
      expect(repeats([card('WARFARIN', 'p1', '2026-01-01T00:00:00.000Z'), card('WARFARIN', 'p1', '2026-01-31T00:00:00.000Z')])).toBe(1);
      expect(repeats([card('WARFARIN', 'p1', '2026-01-01T00:00:00.000Z'), card('WARFARIN', 'p1', '2026-01-31T00:00:00.001Z')])).toBe(0);
    });

    it('counts each card after an earlier one: a chain of four is three repeats', () => {
      expect(repeats(['01', '08', '15', '22'].map((d) => card('WARFARIN', 'p1', `2026-02-${d}T00:00:00Z`)))).toBe(3);
    });

    it('other patient, other rule and the same instant are not repeats', () => {
      expect(
        repeats([
          card('WARFARIN', 'p1', '2026-02-01T00:00:00Z'),
          card('WARFARIN', 'p2', '2026-02-02T00:00:00Z'),
          card('DOSE_ABOVE_MAX', 'p1', '2026-02-03T00:00:00Z'),
          card('WARFARIN', 'p3', '2026-02-04T00:00:00Z'),
          card('WARFARIN', 'p3', '2026-02-04T00:00:00Z'),
        ]),
      ).toBe(0);
    });

    it('a card at the same instant as a repeat is a repeat too (both follow the earlier card)', () => {
      expect(repeats([card('WARFARIN', 'p1', '2026-02-01T00:00:00Z'), card('WARFARIN', 'p1', '2026-02-05T00:00:00Z'), card('WARFARIN', 'p1', '2026-02-05T00:00:00Z')])).toBe(2);
    });

    it('cards of the 30 days before are never counted as repeats themselves', () => {
      expect(repeats([card('WARFARIN', 'p1', '2025-12-10T00:00:00Z'), card('WARFARIN', 'p1', '2025-12-20T00:00:00Z')])).toBe(0);
    });
  });

  describe('lastFired and silent (silentDays 14)', () => {
    const figures = (cards: CardRow[], query: PeriodQuery = Q1, opts: Partial<AlertReportOptions> = {}) =>
      rule(computeAlertReport(rows({ cards }), query, { ...OPTS, ...opts }), 'WARFARIN');

    it('fired early in the period and not in its last 14 days: silent', () => {
      const w = figures([card('WARFARIN', 'p1', '2026-01-10T00:00:00Z'), card('WARFARIN', 'p2', '2026-03-17T23:59:59.999Z')]);
      expect(w.lastFired).toBe('2026-03-17T23:59:59.999Z');
      expect(w.silent).toBe(true);
    });

    it('a card at exactly end − 14 days: not silent', () => {
      const w = figures([card('WARFARIN', 'p1', '2026-03-18T00:00:00.000Z')]);
      expect(w.silent).toBe(false);
    });

    it('fired only in the 30 days before the period: silent, with 0 cards', () => {
      const w = figures([card('WARFARIN', 'p1', '2025-12-15T12:00:00Z')]);
      expect(w).toMatchObject({ cards: 0, lastFired: '2025-12-15T12:00:00.000Z', silent: true });
    });

    it('never fired: not silent, lastFired null', () => {
      expect(figures([])).toMatchObject({ lastFired: null, silent: false });
    });

    it('a period shorter than silentDays: fired in it is not silent; fired only before it is', () => {
      const week = { from: '2026-03-25', to: '2026-03-31' };
      expect(figures([card('WARFARIN', 'p1', '2026-03-26T00:00:00Z')], week).silent).toBe(false);
      expect(figures([card('WARFARIN', 'p1', '2026-03-20T00:00:00Z')], week)).toMatchObject({ cards: 0, silent: false });
      expect(figures([card('WARFARIN', 'p1', '2026-03-10T00:00:00Z')], week)).toMatchObject({ cards: 0, silent: true });
    });

    it('a period reaching today counts the 14 days back from the generation time', () => {
      const today = { from: '2026-01-01', to: '2026-03-31' };
      const generatedAt = new Date('2026-03-31T06:00:00.000Z');
      // 13 days 18 hours before generation (14 days 12 hours before the end of the period): not yet silent.
      expect(figures([card('WARFARIN', 'p1', '2026-03-17T12:00:00.000Z')], today, { generatedAt }).silent).toBe(false);
      expect(figures([card('WARFARIN', 'p1', '2026-03-17T12:00:00.000Z')], today).silent).toBe(true);
      expect(figures([card('WARFARIN', 'p1', '2026-03-17T06:00:00.000Z')], today, { generatedAt }).silent).toBe(false);
      expect(figures([card('WARFARIN', 'p1', '2026-03-17T05:59:59.999Z')], today, { generatedAt }).silent).toBe(true);
    });

    it('silentDays is a setting', () => {
      expect(figures([card('WARFARIN', 'p1', '2026-03-20T00:00:00Z')], Q1, { silentDays: 7 }).silent).toBe(true);
    });
  });

  it('weekly: every week of the period and every rule, zeros included, ordered by week then rule', () => {
    const query = { from: '2026-12-30', to: '2027-01-05' };
    const r = computeAlertReport(
      rows({
        cards: [
          card('WARFARIN', 'p1', '2026-12-31T10:00:00Z'),
          card('WARFARIN', 'p2', '2027-01-01T10:00:00Z'),
          card('PREGNANCY', 'p1', '2027-01-04T00:00:00Z'),
          card('WARFARIN', 'p1', '2026-12-20T00:00:00Z'), // before the period
        ],
      }),
      query,
      OPTS,
    );
    expect(r.weekly).toEqual([
      { week: '2026-W53', ruleId: 'DOSE_ABOVE_MAX', cards: 0 },
      { week: '2026-W53', ruleId: 'WARFARIN', cards: 2 },
      { week: '2026-W53', ruleId: 'PREGNANCY', cards: 0 },
      { week: '2027-W01', ruleId: 'DOSE_ABOVE_MAX', cards: 0 },
      { week: '2027-W01', ruleId: 'WARFARIN', cards: 0 },
      { week: '2027-W01', ruleId: 'PREGNANCY', cards: 1 },
    ]);
  });

  it('filters by query.service even when the store did not', () => {
    const mine = card('WARFARIN', 'p1', '2026-02-01T00:00:00Z', { serviceId: VERIFY });
    const other = card('WARFARIN', 'p1', '2026-02-02T00:00:00Z');
    const r = computeAlertReport(
      rows({ evaluations: [evaluation('2026-02-01T00:00:00Z', VERIFY), evaluation('2026-02-01T00:00:00Z')], cards: [mine, other], feedback: [feedback(mine, 'accepted', '2026-02-01T00:10:00Z'), feedback(other, 'overridden', '2026-02-02T00:10:00Z')] }),
      { ...Q1, service: VERIFY },
      OPTS,
    );
    expect(r.service).toBe(VERIFY);
    expect(r.evaluations).toBe(1);
    expect(rule(r, 'WARFARIN')).toMatchObject({ cards: 1, accepted: 1, overridden: 0, repeatAlerts: 0, perHundredEvaluations: 100 });
  });

  it('counts a card delivered twice once, and ignores rows with unreadable instants', () => {
    const c = card('WARFARIN', 'p1', '2026-02-01T00:00:00Z');
    const r = computeAlertReport(rows({ cards: [c, { ...c }, card('WARFARIN', 'p2', 'not a date')], evaluations: [evaluation('garbage')] }), Q1, OPTS);
    expect(rule(r, 'WARFARIN')).toMatchObject({ cards: 1, repeatAlerts: 0 });
    expect(r.evaluations).toBe(0);
  });

  it('echoes the period, settings and generation time; no service key without a service; exact integers in JSON', () => {
    const cards = Array.from({ length: 3 }, (_, i) => card('WARFARIN', `p${i}`, '2026-02-01T00:00:00Z'));
    const r = computeAlertReport(rows({ cards, evaluations: [evaluation('2026-02-01T00:00:00Z')] }), Q1, OPTS);
    expect(r).toMatchObject({ from: '2026-01-01', to: '2026-03-31', generatedAt: '2026-04-02T08:00:00.000Z', settings: { silentDays: 14, suppressBelow: 5 } });
    expect('service' in r).toBe(false);
    const json = JSON.stringify(r);
    expect(json).toContain('"cards":3');
    expect(json).toContain('"evaluations":1');
    expect(JSON.parse(json)).toEqual(r);
  });
});
