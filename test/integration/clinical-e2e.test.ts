/**
 * End to end over real HTTP: realistic order-sign / order-select / pharmacy-verify requests with complete
 * prefetch, asserting the exact set of rule ids, the suggestion's resource and the card invariants.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, FhirResource, MedicationRequest, Observation } from 'fhir/r4';
import type { Card } from '../../src/protocol/cards';
import { assertNoEmptyValues, assertValidCdsResponse } from '../helpers/assert-cds';
import { listen, makeService, type ListeningService } from '../helpers/service';
import { fullPrefetch, orderSelectRequest, orderSignRequest } from '../helpers/requests';
import {
  LOINC,
  NOW,
  PATIENT_ID,
  daysAgo,
  diseaseStatus,
  gistCondition,
  imatinibOrder,
  imatinibRecord,
  lab,
  medicationRequest,
  metastasisCondition,
  pregnancyStatus,
  regionStudied,
  variantObservation,
} from '../helpers/fhir-builders';

let svc: ListeningService;
beforeAll(async () => {
  svc = await listen(makeService({}, { now: () => NOW }));
});
afterAll(() => svc.stop());

const patient: FhirResource = { resourceType: 'Patient', id: PATIENT_ID, gender: 'female', birthDate: '1961-04-02' };

/** Normal labs with reference ranges, 5 days old. */
function normalLabs(): Observation[] {
  return [
    lab(LOINC.anc, 3.2, '10*9/L', daysAgo(5)),
    lab(LOINC.platelets, 240, '10*3/uL', daysAgo(5)),
    lab(LOINC.bilirubin, 0.8, 'mg/dL', daysAgo(5), 1.2),
    lab(LOINC.alt, 30, 'U/L', daysAgo(5), 40),
    lab(LOINC.ast, 28, 'U/L', daysAgo(5), 40),
    lab(LOINC.crclCockcroftGault, 92, 'mL/min', daysAgo(5)),
  ];
}

async function invoke(serviceId: string, body: Record<string, unknown>): Promise<{ status: number; cards: Card[]; raw: Record<string, unknown> }> {
  const res = await fetch(`${svc.baseUrl}/cds-services/${serviceId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const raw = (await res.json()) as Record<string, unknown>;
  assertNoEmptyValues(raw);
  if (res.status === 200) assertValidCdsResponse(raw, (body.context as { draftOrders: Bundle }).draftOrders);
  return { status: res.status, cards: (raw.cards ?? []) as Card[], raw };
}

const ruleIds = (cards: Card[]) => cards.map((c) => c.source.topic?.code).sort();

describe('advanced KIT exon 9 GIST ordered at 400 mg daily', () => {
  const history = [patient, gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', exon: '9', cHgvs: 'NM_000222.3:c.1504_1509dup' }), regionStudied(['KIT', 'PDGFRA']), ...normalLabs()];
  const order = imatinibOrder({ id: 'imatinib-draft-1', tablets: 1, frequency: 1 });

  it('order-sign: exactly EXON9_HIGH_DOSE, suggesting the whole draft order at 400 mg twice daily', async () => {
    const { status, cards } = await invoke('imatinib-order-sign', orderSignRequest({ orders: [order], prefetch: fullPrefetch(history) }));
    expect(status).toBe(200);
    expect(ruleIds(cards)).toEqual(['EXON9_HIGH_DOSE']);
    const card = cards[0]!;
    expect(card.indicator).toBe('warning');
    expect(card.selectionBehavior).toBe('at-most-one');
    const action = card.suggestions?.[0]?.actions?.[0];
    expect(action?.type).toBe('update');
    const updated = action?.resource as MedicationRequest;
    expect(updated.id).toBe('imatinib-draft-1');
    expect(updated.medicationCodeableConcept).toEqual(order.medicationCodeableConcept);
    expect(updated.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity).toMatchObject({ value: 400, code: 'mg', system: 'http://unitsofmeasure.org' });
    expect(updated.dosageInstruction?.[0]?.timing?.repeat).toMatchObject({ frequency: 2, period: 1, periodUnit: 'd' });
    expect(card.detail).toMatch(/exon 9/i);
    expect(card.links?.every((l) => l.url.startsWith('https://'))).toBe(true);
  });

  it('J-0.2: the echoed draft loses the null and empty values the client sent, and keeps everything else', async () => {
    const messy = { ...imatinibOrder({ id: 'imatinib-draft-3', tablets: 1, frequency: 1 }), note: [], dispenseRequest: {}, reasonCode: [{ text: '' }], priority: null } as unknown as MedicationRequest;
    const { cards } = await invoke('imatinib-order-sign', orderSignRequest({ orders: [messy], prefetch: fullPrefetch(history) }));
    const updated = cards[0]?.suggestions?.[0]?.actions?.[0]?.resource as MedicationRequest & Record<string, unknown>;
    expect(updated.id).toBe('imatinib-draft-3');
    expect(updated.authoredOn).toBe(messy.authoredOn);
    expect(['note', 'dispenseRequest', 'reasonCode', 'priority'].filter((k) => k in updated)).toEqual([]);
  });

  it('order-select on the selected imatinib order gives the same rule', async () => {
    const { cards } = await invoke('imatinib-order-select', orderSelectRequest({ orders: [order], prefetch: fullPrefetch(history, 'imatinib-order-select') }));
    expect(ruleIds(cards)).toEqual(['EXON9_HIGH_DOSE']);
  });

  it('pharmacy verification adds the VERIFICATION_SUMMARY card with the computed daily dose', async () => {
    const { cards } = await invoke('imatinib-pharmacy-verify', orderSignRequest({ orders: [order], prefetch: fullPrefetch(history, 'imatinib-pharmacy-verify') }));
    expect(ruleIds(cards)).toEqual(['EXON9_HIGH_DOSE', 'VERIFICATION_SUMMARY']);
    const summary = cards.find((c) => c.source.topic?.code === 'VERIFICATION_SUMMARY');
    expect(summary?.indicator).toBe('info');
    expect(summary?.detail).toMatch(/400 mg\/day/);
  });

  it('an order already at 400 mg twice daily draws no card', async () => {
    const bid = imatinibOrder({ id: 'imatinib-draft-2', tablets: 1, frequency: 2 });
    const { cards } = await invoke('imatinib-order-sign', orderSignRequest({ orders: [bid], prefetch: fullPrefetch(history) }));
    expect(cards).toEqual([]);
  });
});

describe('safety findings', () => {
  it('pregnancy, neutropenia and a strong CYP3A4 inducer each give their card; an untested genotype gives NO_MUTATION_TEST', async () => {
    const history = [
      patient,
      gistCondition(),
      pregnancyStatus(true, daysAgo(10)),
      lab(LOINC.anc, 0.8, '10*9/L', daysAgo(2)),
      lab(LOINC.platelets, 180, '10*9/L', daysAgo(2)),
      lab(LOINC.crclCockcroftGault, 95, 'mL/min', daysAgo(2)),
      medicationRequest({ rxnorm: '9384', display: 'rifampin 300 MG Oral Capsule', status: 'active' }),
      medicationRequest({ rxnorm: '11289', display: 'warfarin', status: 'stopped' }),
    ];
    const { cards } = await invoke('imatinib-order-sign', orderSignRequest({ orders: [imatinibOrder({ id: 'o1' })], prefetch: fullPrefetch(history) }));
    expect(ruleIds(cards)).toEqual(['CYP3A4_INDUCER', 'HEMATOLOGIC_HOLD', 'NO_MUTATION_TEST', 'PREGNANCY']);
    expect(cards.find((c) => c.source.topic?.code === 'HEMATOLOGIC_HOLD')?.detail).toMatch(/0\.8/);
  });

  it('two orders totalling 1000 mg/day: DOSE_ABOVE_MAX, one suggestion updating the first and deleting the second', async () => {
    const history = [patient, gistCondition(), regionStudied(['KIT', 'PDGFRA']), variantObservation({ gene: 'KIT', exon: '11', pHgvs: 'p.Trp557_Lys558del' }), ...normalLabs()];
    const a = imatinibOrder({ id: 'o-400', tablets: 1, frequency: 1 });
    const b = imatinibOrder({ id: 'o-600', rxnorm: '403878', tablets: 6, frequency: 1 });
    const { cards } = await invoke('imatinib-order-sign', orderSignRequest({ orders: [a, b], prefetch: fullPrefetch(history) }));
    expect(ruleIds(cards)).toEqual(['DOSE_ABOVE_MAX']);
    const actions = cards[0]?.suggestions?.[0]?.actions ?? [];
    expect(actions.map((x) => x.type).sort()).toEqual(['delete', 'update']);
    expect(actions.find((x) => x.type === 'delete')?.resourceId).toBe('MedicationRequest/o-600');
    expect((actions.find((x) => x.type === 'update')?.resource as MedicationRequest).id).toBe('o-400');
  });

  it('progression on imatinib 400 mg/day in advanced GIST suggests 800 mg/day', async () => {
    const history = [
      patient,
      gistCondition(),
      metastasisCondition(),
      regionStudied(['KIT', 'PDGFRA']),
      variantObservation({ gene: 'KIT', exon: '11', pHgvs: 'p.Trp557_Lys558del' }),
      imatinibRecord({ status: 'active', start: daysAgo(400), tablets: 1, frequency: 1 }),
      diseaseStatus('worsened', daysAgo(14)),
      ...normalLabs(),
    ];
    const { cards } = await invoke('imatinib-order-sign', orderSignRequest({ orders: [imatinibOrder({ id: 'o1' })], prefetch: fullPrefetch(history) }));
    expect(ruleIds(cards)).toEqual(['PROGRESSION_ESCALATE']);
  });
});

describe('public fixtures through the service', () => {
  it('reads the mCODE KIT pertinent negative by gene code: KIT tested, so no NO_MUTATION_TEST card', async () => {
    const negative = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/mcode/Observation-gx-genomic-variant-pertinent-negative-nras-kit-braf.json'), 'utf8')) as Observation;
    negative.subject = { reference: `Patient/${PATIENT_ID}` };
    const history = [patient, gistCondition(), negative, ...normalLabs()];
    const { cards } = await invoke('imatinib-order-sign', orderSignRequest({ orders: [imatinibOrder({ id: 'o1' })], prefetch: fullPrefetch(history) }));
    expect(ruleIds(cards)).not.toContain('NO_MUTATION_TEST');
  });
});
