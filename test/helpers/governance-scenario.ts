/**
 * One governance scenario, seeded through the real HTTP API (service calls and feedback), shared by the
 * SQLite and PostgreSQL tests so both stores must give exactly the same report.
 *
 * Period 2026-10-01 .. 2026-11-30 (ISO weeks 2026-W40 .. 2026-W49). Patients: p1 (KIT exon 9, ordered at
 * 400 mg: EXON9_HIGH_DOSE), p2 and p3 (the same), p4 (ANC 0.8: HEMATOLOGIC_HOLD), p5 (never tested:
 * NO_MUTATION_TEST), p6 (exon 11, normal labs: no card). The events and the figures they must give are in
 * EVENTS and expectedRules(); the figures were worked out by hand from the definitions in the README.
 */
import type { FhirResource, MedicationRequest } from 'fhir/r4';
import type { Card } from '../../src/protocol/cards';
import { amoxicillinOrder, fullPrefetch, orderSignRequest } from './requests';
import { LOINC, daysAgo, gistCondition, imatinibOrder, lab, metastasisCondition, regionStudied, variantObservation } from './fhir-builders';

export const PERIOD = { from: '2026-10-01', to: '2026-11-30' } as const;
export const SIGN = 'imatinib-order-sign';
export const PHARMACY = 'imatinib-pharmacy-verify';

/** The scenario's clock: the service evaluates "now" at this time (ServiceOptions.now). */
export interface ScenarioClock {
  now: Date;
}

type Kind = 'exon9' | 'anc-low' | 'untested' | 'clean' | 'not-imatinib';

interface Feedback {
  outcome: 'accepted' | 'overridden';
  /** Minutes after the card was issued. */
  afterMinutes: number;
  reason?: { code: string; display: string };
  comment?: string;
  /** Post the same feedback twice (a client retry): stored once. */
  twice?: boolean;
}

interface ScenarioEvent {
  at: string;
  patient: string;
  kind: Kind;
  service?: string;
  /** The rule ids of the cards this call must issue (checked while seeding). */
  expect: string[];
  feedback?: Feedback;
}

const OVERRIDE_SYSTEM = 'https://imatinib-cds.example.org/CodeSystem/override-reason';

export const EVENTS: readonly ScenarioEvent[] = [
  // 11 days before the period: not counted, but makes the card of 10-05 a repeat.
  { at: '2026-09-20T10:00:00Z', patient: 'p1', kind: 'exon9', expect: ['EXON9_HIGH_DOSE'] },
  { at: '2026-10-02T09:00:00Z', patient: 'p4', kind: 'anc-low', expect: ['HEMATOLOGIC_HOLD'], feedback: { outcome: 'overridden', afterMinutes: 45, reason: { code: 'clinical-trial', display: 'Clinical trial protocol' } } },
  { at: '2026-10-03T09:00:00Z', patient: 'p4', kind: 'anc-low', expect: ['HEMATOLOGIC_HOLD'], feedback: { outcome: 'accepted', afterMinutes: 15 } },
  { at: '2026-10-05T10:00:00Z', patient: 'p1', kind: 'exon9', expect: ['EXON9_HIGH_DOSE'], feedback: { outcome: 'overridden', afterMinutes: 30, reason: { code: 'already-addressed', display: 'Already addressed' } } },
  { at: '2026-10-06T10:00:00Z', patient: 'p2', kind: 'exon9', expect: ['EXON9_HIGH_DOSE'], feedback: { outcome: 'accepted', afterMinutes: 10, twice: true } },
  // HEMATOLOGIC_HOLD's last card: the rule is then silent for the rest of the period.
  { at: '2026-10-08T09:00:00Z', patient: 'p4', kind: 'anc-low', expect: ['HEMATOLOGIC_HOLD'] },
  { at: '2026-10-12T10:00:00Z', patient: 'p3', kind: 'exon9', expect: ['EXON9_HIGH_DOSE'], feedback: { outcome: 'accepted', afterMinutes: 60 } },
  { at: '2026-10-15T10:00:00Z', patient: 'p6', kind: 'clean', expect: [] },
  { at: '2026-10-15T11:00:00Z', patient: 'p6', kind: 'clean', service: PHARMACY, expect: ['VERIFICATION_SUMMARY'] },
  // No imatinib order: not an evaluation.
  { at: '2026-10-20T10:00:00Z', patient: 'p6', kind: 'not-imatinib', expect: [] },
  // 46 days after p1's card of 10-05: not a repeat. The next day's is.
  { at: '2026-11-20T10:00:00Z', patient: 'p1', kind: 'exon9', expect: ['EXON9_HIGH_DOSE'], feedback: { outcome: 'overridden', afterMinutes: 20, reason: { code: 'patient-intolerance', display: 'Patient intolerance or toxicity' } } },
  { at: '2026-11-21T10:00:00Z', patient: 'p1', kind: 'exon9', expect: ['EXON9_HIGH_DOSE'], feedback: { outcome: 'overridden', afterMinutes: 5, comment: 'discussed with the oncologist' } },
  { at: '2026-11-25T10:00:00Z', patient: 'p5', kind: 'untested', expect: ['NO_MUTATION_TEST'] },
  { at: '2026-11-28T10:00:00Z', patient: 'p6', kind: 'clean', expect: [] },
  // After the period.
  { at: '2026-12-01T10:00:00Z', patient: 'p2', kind: 'exon9', expect: ['EXON9_HIGH_DOSE'] },
];

function labsAt(at: Date, anc: number) {
  return [
    lab(LOINC.anc, anc, '10*9/L', daysAgo(3, at)),
    lab(LOINC.platelets, 230, '10*3/uL', daysAgo(3, at)),
    lab(LOINC.bilirubin, 0.8, 'mg/dL', daysAgo(3, at), 1.2),
    lab(LOINC.alt, 28, 'U/L', daysAgo(3, at), 40),
    lab(LOINC.ast, 26, 'U/L', daysAgo(3, at), 40),
    lab(LOINC.crclCockcroftGault, 96, 'mL/min', daysAgo(3, at)),
  ];
}

function resourcesFor(kind: Kind, patient: string, at: Date): FhirResource[] {
  const base: FhirResource[] = [{ resourceType: 'Patient', id: patient, gender: 'male', birthDate: '1958-03-14' }, gistCondition(), metastasisCondition()];
  const exon = (n: string) => [variantObservation({ gene: 'KIT', exon: n, cHgvs: n === '9' ? 'NM_000222.3:c.1504_1509dup' : 'NM_000222.3:c.1669_1674del' }), regionStudied(['KIT', 'PDGFRA'])];
  switch (kind) {
    case 'exon9':
      return [...base, ...exon('9'), ...labsAt(at, 3.2)];
    case 'anc-low':
      return [...base, ...exon('11'), ...labsAt(at, 0.8)];
    case 'untested':
      return [...base, ...labsAt(at, 3.2)];
    default:
      return [...base, ...exon('11'), ...labsAt(at, 3.2)];
  }
}

export interface SeededCard {
  event: ScenarioEvent;
  card: Card;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/**
 * Drive every event through the service's HTTP API; throws when a call does not answer as the scenario expects.
 * With several instances (a fleet sharing one database), events go to them in turn and each feedback to the
 * next instance, not the one that issued the card.
 */
export async function seedScenario(instances: string | readonly string[], clock: ScenarioClock): Promise<SeededCard[]> {
  const urls = typeof instances === 'string' ? [instances] : instances;
  const seeded: SeededCard[] = [];
  for (const [index, event] of EVENTS.entries()) {
    const baseUrl = urls[index % urls.length] as string;
    const feedbackUrl = urls[(index + 1) % urls.length] as string;
    const at = new Date(event.at);
    clock.now = at;
    const service = event.service ?? SIGN;
    const order: MedicationRequest = event.kind === 'not-imatinib' ? amoxicillinOrder() : imatinibOrder({ id: 'draft-imatinib', tablets: 1, frequency: 1 });
    const body = orderSignRequest({ orders: [order], patientId: event.patient, prefetch: fullPrefetch(resourcesFor(event.kind, event.patient, at), service) });
    const answer = await postJson(`${baseUrl}/cds-services/${service}`, body);
    if (answer.status !== 200) throw new Error(`${event.at}: ${service} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
    const cards = answer.json.cards as Card[];
    const got = cards.map((c) => c.source.topic?.code ?? '?');
    if (JSON.stringify(got) !== JSON.stringify(event.expect)) throw new Error(`${event.at}: expected cards ${event.expect.join(', ') || 'none'}, got ${got.join(', ') || 'none'}`);
    for (const card of cards) seeded.push({ event, card });
    const fb = event.feedback;
    const card = cards[0];
    if (!fb || !card) continue;
    const item: Record<string, unknown> = { card: card.uuid, outcome: fb.outcome, outcomeTimestamp: new Date(at.getTime() + fb.afterMinutes * 60_000).toISOString() };
    if (fb.outcome === 'accepted') {
      const suggestion = card.suggestions?.[0];
      if (!suggestion) throw new Error(`${event.at}: the card has no suggestion to accept`);
      item.acceptedSuggestions = [{ id: suggestion.uuid }];
    } else if (fb.reason || fb.comment) {
      item.overrideReason = { ...(fb.reason ? { reason: { system: OVERRIDE_SYSTEM, ...fb.reason } } : {}), ...(fb.comment ? { userComment: fb.comment } : {}) };
    }
    for (let i = 0; i < (fb.twice ? 2 : 1); i++) {
      const r = await postJson(`${feedbackUrl}/cds-services/${service}/feedback`, { feedback: [item] });
      if (r.status !== 200) throw new Error(`${event.at}: feedback answered ${r.status}: ${JSON.stringify(r.json)}`);
    }
  }
  return seeded;
}

/** The figures of the scenario's period (no service filter), by rule: worked out by hand. */
export const EXPECTED_RULES = {
  EXON9_HIGH_DOSE: {
    // 10-05, 10-06, 10-12, 11-20, 11-21 of 12 evaluations.
    cards: 5,
    perHundredEvaluations: 41.7,
    feedback: 5,
    accepted: 2,
    overridden: 3,
    // 3/5 with the Wilson 95% interval.
    overrideRate: { value: 0.6, low: 0.2307, high: 0.8824 },
    suggestionsAccepted: 2,
    overrideReasons: [
      { code: 'already-addressed', display: 'Already addressed', count: 1 },
      { code: 'patient-intolerance', display: 'Patient intolerance or toxicity', count: 1 },
      { code: 'uncoded', display: 'No reason given', count: 1 },
    ],
    // 5, 10, 20, 30, 60 minutes.
    medianMinutesToFeedback: 20,
    // 10-05 (p1 on 09-20) and 11-21 (p1 on 11-20).
    repeatAlerts: 2,
    lastFired: '2026-11-21T10:00:00.000Z',
    silent: false,
  },
  HEMATOLOGIC_HOLD: {
    cards: 3,
    perHundredEvaluations: 25,
    feedback: 2,
    accepted: 1,
    overridden: 1,
    overrideRate: { value: 0.5, low: 0.0945, high: 0.9055 },
    suggestionsAccepted: 1,
    overrideReasons: [{ code: 'clinical-trial', display: 'Clinical trial protocol', count: 1 }],
    // 15 and 45 minutes.
    medianMinutesToFeedback: 30,
    repeatAlerts: 2,
    lastFired: '2026-10-08T09:00:00.000Z',
    // Last card on 10-08: nothing in the last 14 days of the period.
    silent: true,
  },
  NO_MUTATION_TEST: {
    cards: 1,
    perHundredEvaluations: 8.3,
    feedback: 0,
    accepted: 0,
    overridden: 0,
    overrideRate: { value: null, low: null, high: null },
    suggestionsAccepted: 0,
    overrideReasons: [],
    medianMinutesToFeedback: null,
    repeatAlerts: 0,
    lastFired: '2026-11-25T10:00:00.000Z',
    silent: false,
  },
  VERIFICATION_SUMMARY: {
    cards: 1,
    perHundredEvaluations: 8.3,
    feedback: 0,
    accepted: 0,
    overridden: 0,
    overrideRate: { value: null, low: null, high: null },
    suggestionsAccepted: 0,
    overrideReasons: [],
    medianMinutesToFeedback: null,
    repeatAlerts: 0,
    lastFired: '2026-10-15T11:00:00.000Z',
    silent: true,
  },
} as const;

/** Weekly cards that are not zero (every other week × rule is 0). */
export const EXPECTED_WEEKLY_NONZERO: Record<string, number> = {
  '2026-W40 HEMATOLOGIC_HOLD': 2,
  '2026-W41 HEMATOLOGIC_HOLD': 1,
  '2026-W41 EXON9_HIGH_DOSE': 2,
  '2026-W42 EXON9_HIGH_DOSE': 1,
  '2026-W42 VERIFICATION_SUMMARY': 1,
  '2026-W47 EXON9_HIGH_DOSE': 2,
  '2026-W48 NO_MUTATION_TEST': 1,
};

export const EXPECTED_WEEKS = ['2026-W40', '2026-W41', '2026-W42', '2026-W43', '2026-W44', '2026-W45', '2026-W46', '2026-W47', '2026-W48', '2026-W49'];
