/**
 * One conformance suite for every record store (CardStore): SQLite in `npm test`, PostgreSQL in
 * `npm run test:services`. Each backend supplies a factory that opens a fresh, empty store and a way to read
 * its rows back (to check what was really written).
 */
import type { CardStore, EvaluationRecord } from '../../src/store/types';

export interface StoreUnderTest {
  store: CardStore;
  /** SELECT … on the backing database, rows as plain objects (times normalised to ISO strings). */
  rows(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Close the store and open it again on the same database (a restart). */
  reopen(): Promise<StoreUnderTest>;
  dispose(): Promise<void>;
}

export function evaluation(o: Partial<EvaluationRecord> & { cards?: EvaluationRecord['cards'] } = {}): EvaluationRecord {
  return {
    evaluationId: o.evaluationId ?? `ev-${Math.random().toString(36).slice(2)}`,
    serviceId: o.serviceId ?? 'imatinib-order-sign',
    ruleSetVersion: o.ruleSetVersion ?? '1.1.0',
    hookInstance: o.hookInstance ?? 'hi-1',
    patientId: o.patientId ?? 'patient-secret-id',
    orderCount: o.orderCount ?? 1,
    evaluatedAt: o.evaluatedAt ?? new Date('2026-11-27T10:00:00Z'),
    cards: o.cards ?? [{ cardUuid: 'card-1', ruleId: 'PREGNANCY', indicator: 'critical', suggestionUuids: ['s-1'] }],
  };
}

export const accepted = { card: 'card-1', outcome: 'accepted' as const, acceptedSuggestions: [{ id: 's-1' }], outcomeTimestamp: '2026-11-27T10:00:00Z' };

export function describeCardStore(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`record store conformance: ${name}`, () => {
    let t: StoreUnderTest;
    beforeEach(async () => {
      t = await open();
    });
    afterEach(async () => {
      await t.dispose();
    });

    it('records an evaluation and its cards, with the patient id only as a salted hash', async () => {
      await t.store.recordEvaluation(evaluation({ evaluationId: 'ev-1' }));
      const [ev] = await t.rows('SELECT * FROM evaluation');
      expect(ev).toMatchObject({ evaluation_id: 'ev-1', service_id: 'imatinib-order-sign', rule_set_version: '1.1.0', order_count: 1, card_count: 1, evaluated_at: '2026-11-27T10:00:00.000Z' });
      expect(ev?.patient_hash).toMatch(/^[0-9a-f]{64}$/);
      const [card] = await t.rows('SELECT * FROM issued_card');
      expect(card).toMatchObject({ card_uuid: 'card-1', evaluation_id: 'ev-1', rule_id: 'PREGNANCY', indicator: 'critical', issued_at: '2026-11-27T10:00:00.000Z' });
      expect(card?.patient_hash).toBe(ev?.patient_hash);
      const everything = JSON.stringify([...(await t.rows('SELECT * FROM evaluation')), ...(await t.rows('SELECT * FROM issued_card'))]);
      expect(everything).not.toContain('patient-secret-id');
    });

    it('records an evaluation that issued no card (the denominator)', async () => {
      await t.store.recordEvaluation(evaluation({ evaluationId: 'ev-empty', cards: [] }));
      expect(await t.rows("SELECT card_count FROM evaluation WHERE evaluation_id = 'ev-empty'")).toEqual([{ card_count: 0 }]);
      expect(await t.rows('SELECT * FROM issued_card')).toEqual([]);
    });

    it('commits evaluations written in the same turn together, and each caller sees its own commit', async () => {
      await Promise.all(Array.from({ length: 50 }, (_v, i) => t.store.recordEvaluation(evaluation({ evaluationId: `ev-${i}`, cards: [{ cardUuid: `c-${i}`, ruleId: 'WARFARIN', indicator: 'warning', suggestionUuids: [] }] }))));
      expect(await t.rows('SELECT COUNT(*) AS n FROM issued_card')).toEqual([{ n: 50 }]);
    });

    it('is idempotent: the same evaluation recorded twice is one row', async () => {
      const e = evaluation({ evaluationId: 'ev-twice' });
      await t.store.recordEvaluation(e);
      await t.store.recordEvaluation(e);
      expect(await t.rows('SELECT COUNT(*) AS n FROM evaluation')).toEqual([{ n: 1 }]);
      expect(await t.rows('SELECT COUNT(*) AS n FROM issued_card')).toEqual([{ n: 1 }]);
    });

    it('hashes the same patient the same way across restarts (the salt is kept in the database)', async () => {
      await t.store.recordEvaluation(evaluation({ evaluationId: 'a', cards: [] }));
      t = await t.reopen();
      await t.store.recordEvaluation(evaluation({ evaluationId: 'b', cards: [] }));
      expect(await t.rows('SELECT DISTINCT patient_hash FROM evaluation')).toHaveLength(1);
    });

    it('stores feedback against the issued card and treats repeats as idempotent, whatever their key order', async () => {
      await t.store.recordEvaluation(evaluation());
      expect(await t.store.recordFeedback('imatinib-order-sign', [accepted], new Date())).toEqual({
        stored: 1,
        duplicates: 0,
        unknownCards: 0,
        queued: 0,
        recorded: [{ ruleId: 'PREGNANCY', outcome: 'accepted' }],
      });
      const reordered = { outcomeTimestamp: '2026-11-27T10:00:00.000Z', acceptedSuggestions: [{ id: 's-1' }], outcome: 'accepted' as const, card: 'card-1' };
      expect(await t.store.recordFeedback('imatinib-order-sign', [reordered, accepted], new Date())).toMatchObject({ stored: 0, duplicates: 2, unknownCards: 0 });
      expect(await t.rows('SELECT card_uuid, card_known, outcome FROM feedback')).toEqual([{ card_uuid: 'card-1', card_known: 1, outcome: 'accepted' }]);
    });

    it('stores feedback for a card it never issued, flagged as unknown', async () => {
      expect(await t.store.recordFeedback('imatinib-order-sign', [{ ...accepted, card: 'stranger' }], new Date())).toMatchObject({ stored: 1, duplicates: 0, unknownCards: 1, recorded: [{ ruleId: 'unknown', outcome: 'accepted' }] });
    });

    it('keeps the override reason, its display and the comment', async () => {
      await t.store.recordEvaluation(evaluation());
      const overridden = {
        card: 'card-1',
        outcome: 'overridden' as const,
        overrideReason: { reason: { system: 'https://imatinib-cds.example.org/CodeSystem/override-reason', code: 'patient-intolerance', display: 'Patient intolerance or toxicity' }, userComment: 'GI toxicity' },
        outcomeTimestamp: '2026-11-27T10:05:00Z',
      };
      await t.store.recordFeedback('imatinib-order-sign', [overridden], new Date('2026-11-27T10:06:00Z'));
      expect(await t.rows('SELECT override_code, override_display, user_comment, outcome_timestamp, received_at FROM feedback')).toEqual([
        { override_code: 'patient-intolerance', override_display: 'Patient intolerance or toxicity', user_comment: 'GI toxicity', outcome_timestamp: '2026-11-27T10:05:00.000Z', received_at: '2026-11-27T10:06:00.000Z' },
      ]);
    });

    it('knows a card only for the service that issued it', async () => {
      await t.store.recordEvaluation(evaluation());
      expect(await t.store.recordFeedback('imatinib-pharmacy-verify', [accepted], new Date())).toMatchObject({ unknownCards: 1 });
    });

    it('answers ping while it can write', async () => {
      expect(await t.store.ping()).toBe(true);
    });

    describe('periodRows (the governance read)', () => {
      const at = (iso: string) => new Date(iso);
      const card = (cardUuid: string, ruleId = 'PREGNANCY', suggestionUuids: string[] = []) => ({ cardUuid, ruleId, indicator: 'critical', suggestionUuids });
      beforeEach(async () => {
        // Period 2026-10-01 .. 2026-10-31.
        await t.store.recordEvaluation(evaluation({ evaluationId: 'before-window', evaluatedAt: at('2026-08-31T23:59:59.999Z'), cards: [card('c-before-window')] }));
        await t.store.recordEvaluation(evaluation({ evaluationId: 'window', evaluatedAt: at('2026-09-01T00:00:00.000Z'), cards: [card('c-window')] }));
        await t.store.recordEvaluation(evaluation({ evaluationId: 'first', evaluatedAt: at('2026-10-01T00:00:00.000Z'), cards: [card('c-first', 'PREGNANCY', ['s-a', 's-b'])] }));
        await t.store.recordEvaluation(evaluation({ evaluationId: 'none', evaluatedAt: at('2026-10-15T12:00:00.000Z'), cards: [] }));
        await t.store.recordEvaluation(evaluation({ evaluationId: 'pharmacy', serviceId: 'imatinib-pharmacy-verify', evaluatedAt: at('2026-10-20T12:00:00.000Z'), cards: [card('c-pharmacy', 'VERIFICATION_SUMMARY')] }));
        await t.store.recordEvaluation(evaluation({ evaluationId: 'last', evaluatedAt: at('2026-10-31T23:59:59.999Z'), cards: [card('c-last', 'WARFARIN')] }));
        await t.store.recordEvaluation(evaluation({ evaluationId: 'after', evaluatedAt: at('2026-11-01T00:00:00.000Z'), cards: [card('c-after')] }));
        await t.store.recordFeedback(
          'imatinib-order-sign',
          [
            { card: 'c-first', outcome: 'accepted', acceptedSuggestions: [{ id: 's-b' }], outcomeTimestamp: '2026-11-03T08:00:00Z' },
            { card: 'c-last', outcome: 'overridden', overrideReason: { reason: { system: 'urn:x', code: 'already-addressed', display: 'Already addressed' } }, outcomeTimestamp: '2026-11-01T00:10:00+01:00' },
            { card: 'c-window', outcome: 'overridden', outcomeTimestamp: '2026-09-01T01:00:00Z' },
            { card: 'c-after', outcome: 'overridden', outcomeTimestamp: '2026-11-01T01:00:00Z' },
          ],
          new Date(),
        );
      });

      it('reads the period, the 30 days before it for cards, and feedback on the period cards only, with day bounds exact', async () => {
        const rows = await t.store.periodRows({ from: '2026-10-01', to: '2026-10-31' });
        expect(rows.evaluations.map((e) => e.evaluationId)).toEqual(['first', 'none', 'pharmacy', 'last']);
        expect(rows.evaluations[0]).toEqual({ evaluationId: 'first', serviceId: 'imatinib-order-sign', evaluatedAt: '2026-10-01T00:00:00.000Z' });
        expect(rows.cards.map((c) => c.cardUuid)).toEqual(['c-window', 'c-first', 'c-pharmacy', 'c-last']);
        const first = rows.cards.find((c) => c.cardUuid === 'c-first');
        expect(first).toEqual({ cardUuid: 'c-first', serviceId: 'imatinib-order-sign', ruleId: 'PREGNANCY', indicator: 'critical', patientHash: expect.stringMatching(/^[0-9a-f]{64}$/), issuedAt: '2026-10-01T00:00:00.000Z', suggestionCount: 2 });
        expect(JSON.stringify(rows)).not.toContain('patient-secret-id');
        expect(rows.feedback).toEqual([
          { cardUuid: 'c-last', serviceId: 'imatinib-order-sign', outcome: 'overridden', acceptedSuggestion: false, overrideSystem: 'urn:x', overrideCode: 'already-addressed', overrideDisplay: 'Already addressed', outcomeTimestamp: '2026-10-31T23:10:00.000Z' },
          { cardUuid: 'c-first', serviceId: 'imatinib-order-sign', outcome: 'accepted', acceptedSuggestion: true, overrideSystem: null, overrideCode: null, overrideDisplay: null, outcomeTimestamp: '2026-11-03T08:00:00.000Z' },
        ]);
      });

      it('filters by service', async () => {
        const rows = await t.store.periodRows({ from: '2026-10-01', to: '2026-10-31', service: 'imatinib-pharmacy-verify' });
        expect(rows.evaluations.map((e) => e.evaluationId)).toEqual(['pharmacy']);
        expect(rows.cards.map((c) => c.cardUuid)).toEqual(['c-pharmacy']);
        expect(rows.feedback).toEqual([]);
      });

      it('sees an evaluation recorded a moment ago (nothing waits in a batch)', async () => {
        void t.store.recordEvaluation(evaluation({ evaluationId: 'just-now', evaluatedAt: at('2026-10-10T10:00:00Z'), cards: [] }));
        const rows = await t.store.periodRows({ from: '2026-10-10', to: '2026-10-10' });
        expect(rows.evaluations.map((e) => e.evaluationId)).toEqual(['just-now']);
      });
    });
  });
}
