/**
 * Clinical contract 1.1 end to end over real HTTP, against a real FHIR server for what the request does not
 * carry: each case of the issue that motivated 1.1, shaped the way EHRs and labs send data, with its negative.
 */
import type { Bundle, FhirResource, MedicationRequest, MedicationStatement, Observation } from 'fhir/r4';
import type { Card } from '../../src/protocol/cards';
import { assertNoEmptyValues, assertValidCdsResponse } from '../helpers/assert-cds';
import { fullPrefetch, orderSignRequest } from '../helpers/requests';
import { listen, makeService, type ListeningService } from '../helpers/service';
import { startFhirServer, type TestFhirServer } from '../helpers/fhir-server';
import {
  LOINC,
  NOW,
  PATIENT_ID,
  daysAgo,
  dosage,
  gistCondition,
  imatinibOrder,
  lab,
  legacyKitTest,
  medication,
  medicationStatement,
  metastasisCondition,
  pregnancyStatus,
  regionStudied,
  variantObservation,
} from '../helpers/fhir-builders';

const TOKEN = 'clinical-1-1-token';
let svc: ListeningService;
let fhir: TestFhirServer;

beforeAll(async () => {
  fhir = await startFhirServer();
  svc = await listen(makeService({ fhir: { allowedServers: ['http://127.0.0.1'] } }, { now: () => NOW }));
});
afterAll(async () => {
  await svc.stop();
  await fhir.close();
});
beforeEach(() => fhir.reset());

interface Answer {
  status: number;
  cards: Card[];
  raw: Record<string, unknown>;
}

async function invoke(body: Record<string, unknown>, serviceId = 'imatinib-order-sign'): Promise<Answer> {
  const res = await fetch(`${svc.baseUrl}/cds-services/${serviceId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const raw = (await res.json()) as Record<string, unknown>;
  assertNoEmptyValues(raw);
  if (res.status === 200) assertValidCdsResponse(raw, (body.context as { draftOrders: Bundle }).draftOrders);
  return { status: res.status, cards: (raw.cards ?? []) as Card[], raw };
}

const rules = (cards: Card[]) => cards.map((c) => c.source.topic?.code);
const card = (cards: Card[], code: string): Card => {
  const c = cards.find((x) => x.source.topic?.code === code);
  if (!c) throw new Error(`no ${code} card; got ${rules(cards).join(', ')}`);
  return c;
};
const summaryDetail = (cards: Card[]) => card(cards, 'VERIFICATION_SUMMARY').detail ?? '';

/** KIT exon 11, both genes tested; normal counts, kidney and liver with reference ranges. */
function tested(): FhirResource[] {
  return [variantObservation({ gene: 'KIT', exon: '11', cHgvs: 'NM_000222.3:c.1669_1674del' }), regionStudied(['KIT', 'PDGFRA'])];
}
function normalLabs(): Observation[] {
  return [
    lab(LOINC.anc, 3.1, '10*9/L', daysAgo(4)),
    lab(LOINC.platelets, 210, '10*3/uL', daysAgo(4)),
    lab(LOINC.bilirubin, 0.7, 'mg/dL', daysAgo(4), 1.2),
    lab(LOINC.alt, 25, 'U/L', daysAgo(4), 40),
    lab(LOINC.ast, 22, 'U/L', daysAgo(4), 40),
    lab(LOINC.crclCockcroftGault, 95, 'mL/min', daysAgo(4)),
  ];
}
const sign = (orders: MedicationRequest[], resources: FhirResource[], extra: Record<string, unknown> = {}) => orderSignRequest({ orders, prefetch: fullPrefetch(resources), ...extra });

describe('1.1 §1: GIST in any clinical status (adjuvant imatinib after resection)', () => {
  it('a GIST in remission ordered at 1200 mg/day gets DOSE_ABOVE_MAX and the safety checks, never 800 mg', async () => {
    const resources = [gistCondition({ clinicalStatus: 'remission' }), ...tested(), lab(LOINC.anc, 0.7, '10*9/L', daysAgo(2)), lab(LOINC.crclCockcroftGault, 95, 'mL/min', daysAgo(2))];
    const a = await invoke(sign([imatinibOrder({ id: 'adj-1', mg: 600, frequency: 2 })], resources));
    expect(a.status).toBe(200);
    expect(rules(a.cards)).toEqual(['DOSE_ABOVE_MAX', 'HEMATOLOGIC_HOLD']);
    // The hold withholds every dose change; the hold card offers to cancel the draft.
    expect(card(a.cards, 'DOSE_ABOVE_MAX').suggestions).toBeUndefined();
    expect(card(a.cards, 'HEMATOLOGIC_HOLD').suggestions?.[0]?.label).toBe('Cancel this imatinib order');
  });

  it('without the hold, the remission GIST gets the standard 400 mg once daily (not advanced: adjuvant)', async () => {
    const a = await invoke(sign([imatinibOrder({ id: 'adj-2', mg: 600, frequency: 2 })], [gistCondition({ clinicalStatus: 'resolved' }), ...tested(), ...normalLabs()]));
    expect(rules(a.cards)).toEqual(['DOSE_ABOVE_MAX']);
    expect(card(a.cards, 'DOSE_ABOVE_MAX').suggestions?.[0]?.label).toBe('Change to 400 mg once daily');
  });

  it('negative: a refuted GIST counts for nothing', async () => {
    const a = await invoke(sign([imatinibOrder({ id: 'adj-3', mg: 600, frequency: 2 })], [gistCondition({ clinicalStatus: 'remission', verificationStatus: 'refuted' }), ...tested()]));
    expect(a.cards).toEqual([]);
  });
});

describe('1.1 §1/§2: an active medication record whose Medication the request does not carry', () => {
  const statement = (): MedicationStatement =>
    medicationStatement({ id: 'ms-remote', status: 'active', medicationReference: 'Medication/remote-med', effectiveStart: '2025-02-01', dosage: [dosage({ tablets: 1, frequency: 1 })] });
  const liver = (): Observation[] => [lab(LOINC.bilirubin, 4, 'mg/dL', daysAgo(2), 1.2), lab(LOINC.ast, 260, 'U/L', daysAgo(2), 40)];
  const patient = (): FhirResource[] => [gistCondition(), metastasisCondition(), ...tested(), statement(), ...liver(), lab(LOINC.crclCockcroftGault, 95, 'mL/min', daysAgo(2))];

  it('reads it from the FHIR server (once, with the token): imatinib, so the hold applies', async () => {
    await fhir.load([medication({ id: 'remote-med', rxnorm: '403879' })]);
    const a = await invoke({ ...sign([imatinibOrder({ id: 'cont-1', tablets: 1, frequency: 1 })], patient()), fhirServer: fhir.baseUrl, fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds' } }, 'imatinib-pharmacy-verify');
    expect(a.status).toBe(200);
    expect(rules(a.cards)).toEqual(['HEPATOTOXICITY_HOLD', 'VERIFICATION_SUMMARY']);
    expect(fhir.requests.map((r) => r.url)).toEqual(['/Medication/remote-med']);
    expect(fhir.requests[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(summaryDetail(a.cards)).toMatch(/- Current imatinib: 400 mg\/day since 2025-02-01/);
  });

  it('the Medication is not on the server and the reference has no display: HEPATOTOXICITY_HOLD (withhold), never HEPATIC_IMPAIRMENT with a cut to 300 mg', async () => {
    const a = await invoke({ ...sign([imatinibOrder({ id: 'cont-2', tablets: 1, frequency: 1 })], patient()), fhirServer: fhir.baseUrl }, 'imatinib-pharmacy-verify');
    expect(a.status).toBe(200);
    expect(rules(a.cards)).toEqual(['HEPATOTOXICITY_HOLD', 'VERIFICATION_SUMMARY']);
    const hold = card(a.cards, 'HEPATOTOXICITY_HOLD');
    expect(hold.summary).toBe('Bilirubin 3.33×, AST 6.5× ULN: withhold imatinib until bilirubin < 1.5× and ALT/AST < 2.5× ULN, then reduce the dose.');
    expect(hold.detail).toMatch(/Imatinib history could not be established/);
    const detail = summaryDetail(a.cards);
    expect(detail).not.toContain('not currently taking imatinib');
    expect(detail).toMatch(/- Current imatinib: not known whether imatinib is already taken/);
    expect(detail).toMatch(/\*\*Unidentified medication records\*\*\n- An active medication record could not be identified .*MedicationStatement\/ms-remote.*the interaction checks may be incomplete/);
  });

  it('a failed read (HTTP 503) makes the record unidentified too', async () => {
    await fhir.setBehaviour({ status: 503 });
    const a = await invoke({ ...sign([imatinibOrder({ id: 'cont-3', tablets: 1, frequency: 1 })], patient()), fhirServer: fhir.baseUrl });
    expect(a.status).toBe(200);
    expect(rules(a.cards)).toEqual(['HEPATOTOXICITY_HOLD']);
  });

  it('negative: a reference whose display names another drug is that drug, and imatinib is not being taken', async () => {
    const named = { ...statement(), medicationReference: { reference: 'Medication/remote-med', display: 'Sertraline 50 mg tablet' } };
    const a = await invoke(sign([imatinibOrder({ id: 'cont-4', tablets: 1, frequency: 1 })], [gistCondition(), ...tested(), named, ...liver()]));
    expect(rules(a.cards)).toEqual(['HEPATIC_IMPAIRMENT']);
  });
});

describe('1.1 §1: a draft order whose Medication the request does not carry', () => {
  const draft = (): MedicationRequest => ({ ...imatinibOrder({ id: 'by-ref', tablets: 1, frequency: 1 }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/draft-med' } }) as MedicationRequest;

  it('is read from the FHIR server and evaluated when it is imatinib', async () => {
    await fhir.load([medication({ id: 'draft-med', rxnorm: '403878' })]);
    const a = await invoke({ ...sign([draft()], [gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', exon: '9' }), regionStudied(), ...normalLabs()]), fhirServer: fhir.baseUrl });
    expect(a.status).toBe(200);
    // 1 × 100 mg tablet once daily = 100 mg/day: exon 9 advanced → 800 mg/day, switched to 400 mg tablets.
    const exon9 = card(a.cards, 'EXON9_HIGH_DOSE');
    expect(exon9.summary).toMatch(/over the ordered 100 mg\/day/);
    expect(exon9.suggestions?.[0]?.label).toBe('Change to 400 mg twice daily (800 mg/day), using 400 mg tablets');
  });

  it('is not evaluated when the server has no such Medication and the reference has no display', async () => {
    const a = await invoke({ ...sign([draft()], [gistCondition(), ...tested()]), fhirServer: fhir.baseUrl });
    expect(a).toMatchObject({ status: 200, cards: [] });
  });

  it('answers 412 naming the draft order when the read fails and nothing else identifies it', async () => {
    await fhir.setBehaviour({ status: 500 });
    const a = await invoke({ ...sign([draft()], [gistCondition(), ...tested()]), fhirServer: fhir.baseUrl });
    expect(a.status).toBe(412);
    const issue = (a.raw.issue as { expression: string[]; diagnostics: string }[])[0];
    expect(issue?.expression).toEqual(['context.draftOrders']);
    expect(issue?.diagnostics).toMatch(/could not be read .*HTTP 500.*Medication\/draft-med/);
  });
});

describe('1.1 §2/§5: honest lab values and text for people', () => {
  it('eGFR reported as <15 is shown as "<15" (never "15"), in mL/min/1.73 m², and suggests no dose', async () => {
    const egfr = lab(LOINC.egfr, 15, 'mL/min/{1.73_m2}', daysAgo(2));
    egfr.valueQuantity = { ...egfr.valueQuantity, comparator: '<' };
    const a = await invoke(sign([imatinibOrder({ id: 'ren-1', tablets: 1, frequency: 1 })], [gistCondition(), ...tested(), egfr]));
    const renal = card(a.cards, 'RENAL_DOSE_LIMIT');
    expect(renal.summary).toBe('Severely reduced kidney function (eGFR <15 mL/min/1.73 m²): use imatinib with caution; no safe dose is established.');
    expect(renal.detail).toMatch(/eGFR <15 mL\/min\/1\.73 m²/);
    expect(renal.detail).not.toMatch(/eGFR 15\b/);
    expect(renal.suggestions).toBeUndefined();
  });

  it('a platelet hold quotes 40 ×10⁹/L and names the newer "platelet clumps, unable to count" result', async () => {
    const clumps = lab(LOINC.platelets, 0, '10*9/L', daysAgo(1));
    delete clumps.valueQuantity;
    clumps.valueString = 'platelet clumps, unable to count';
    const a = await invoke(sign([imatinibOrder({ id: 'plt-1', tablets: 1, frequency: 1 })], [gistCondition(), ...tested(), lab(LOINC.platelets, 40, '10*9/L', daysAgo(3)), clumps]));
    const hold = card(a.cards, 'HEMATOLOGIC_HOLD');
    expect(hold.summary).toMatch(/^Platelets 40 ×10⁹\/L: hold imatinib/);
    expect(hold.detail).toContain(`Newer result: A platelet count result of ${daysAgo(1)} has no number: "platelet clumps, unable to count"`);
  });

  it('a preliminary KIT result is named as awaiting its final report, not as "no mutation result"', async () => {
    const a = await invoke(sign([imatinibOrder({ id: 'pre-1', tablets: 1, frequency: 1 })], [gistCondition(), legacyKitTest('positive', { status: 'preliminary', date: daysAgo(6) })]));
    const c = card(a.cards, 'NO_MUTATION_TEST');
    expect(c.summary).toBe(`A preliminary KIT/PDGFRA result of ${daysAgo(6)} awaits its final report; mutational analysis guides dose (exon 9 → 800 mg/day).`);
  });

  it("St John's wort cuts exposure by about 30–32%, not 70%", async () => {
    const a = await invoke(sign([imatinibOrder({ id: 'sjw-1', tablets: 1, frequency: 1 })], [gistCondition(), ...tested(), medicationStatement({ text: "St. John's Wort 300 mg" })]));
    expect(card(a.cards, 'CYP3A4_INDUCER').summary).toBe("A strong CYP3A4 inducer (St John's wort) cut imatinib exposure by about 30–32%; avoid the combination.");
  });

  it('no FHIR ids appear in the summary or detail of prescriber cards', async () => {
    const resources = [gistCondition({ id: 'gist-x' }), metastasisCondition({ id: 'met-x' }), variantObservation({ id: 'var-x', gene: 'KIT', exon: '9' }), lab(LOINC.anc, 0.6, '10*9/L', daysAgo(2), undefined, { id: 'anc-x' })];
    const a = await invoke(sign([imatinibOrder({ id: 'ids-1', tablets: 1, frequency: 1 })], resources));
    expect(a.cards.length).toBeGreaterThan(0);
    for (const c of a.cards) expect(`${c.summary} ${c.detail}`).not.toMatch(/(Observation|Condition|MedicationRequest)\/[a-z]/);
  });
});

describe('1.1 §4: one safe dose target, withheld during holds', () => {
  it('DOSE_ABOVE_MAX beside RENAL_DOSE_LIMIT: one suggestion, 400 mg once daily, never 400 mg twice daily', async () => {
    const resources = [gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', exon: '9' }), regionStudied(), lab(LOINC.crclCockcroftGault, 35, 'mL/min', daysAgo(2))];
    const a = await invoke(sign([imatinibOrder({ id: 'dam-1', mg: 600, frequency: 2 })], resources));
    expect(rules(a.cards)).toEqual(['DOSE_ABOVE_MAX', 'RENAL_DOSE_LIMIT']);
    const labels = a.cards.flatMap((c) => (c.suggestions ?? []).map((s) => s.label));
    expect(labels).toEqual(['Change to 400 mg once daily']);
    expect(card(a.cards, 'RENAL_DOSE_LIMIT').detail).toMatch(/offered on the card "Imatinib above the maximum dose for GIST \(DOSE_ABOVE_MAX\)"/);
  });

  it('ANC 0.8 and pregnancy: "hold imatinib" with "Cancel this imatinib order" only, no dose change', async () => {
    const resources = [gistCondition(), ...tested(), lab(LOINC.anc, 0.8, '10*9/L', daysAgo(2)), pregnancyStatus(true, daysAgo(5))];
    const a = await invoke(sign([imatinibOrder({ id: 'preg-1', mg: 600, frequency: 1 })], resources));
    expect(rules(a.cards)).toEqual(['HEMATOLOGIC_HOLD', 'PREGNANCY', 'HIGH_DOSE_WITHOUT_INDICATION']);
    const actions = a.cards.flatMap((c) => (c.suggestions ?? []).map((s) => [c.source.topic?.code, s.label, s.actions?.map((x) => [x.type, x.resourceId])]));
    expect(actions).toEqual([
      ['HEMATOLOGIC_HOLD', 'Cancel this imatinib order', [['delete', 'MedicationRequest/preg-1']]],
      ['PREGNANCY', 'Cancel this imatinib order', [['delete', 'MedicationRequest/preg-1']]],
    ]);
  });
});

describe('1.1 §6: the pharmacy summary', () => {
  it('lists HIGH_DOSE_WITHOUT_INDICATION as not applicable when DOSE_ABOVE_MAX replaced it, never as passed', async () => {
    const a = await invoke(sign([imatinibOrder({ id: 'pv-1', mg: 600, frequency: 2 })], [gistCondition(), ...tested(), ...normalLabs()]), 'imatinib-pharmacy-verify');
    const detail = summaryDetail(a.cards);
    expect(detail).toMatch(/- HIGH_DOSE_WITHOUT_INDICATION \(.*\): not applicable — dose above the maximum \(replaced by DOSE_ABOVE_MAX\)/);
  });
});

describe('1.1 §7: one failed search no longer silences everything', () => {
  it('the lab search fails: a pregnant patient still gets PREGNANCY, plus DATA_INCOMPLETE for the labs, not 412', async () => {
    await fhir.load([gistCondition(), ...tested(), pregnancyStatus(true, daysAgo(5))]);
    await fhir.setBehaviour({ respond: (req) => (req.url.startsWith('/Observation') && req.url.includes('751-8') ? { status: 500, body: '{}' } : undefined) });
    const a = await invoke(orderSignRequest({ orders: [imatinibOrder({ id: 'p7-1', tablets: 1, frequency: 1 })], fhirServer: fhir.baseUrl, patientId: PATIENT_ID }));
    expect(a.status).toBe(200);
    expect(rules(a.cards)).toEqual(['PREGNANCY', 'DATA_INCOMPLETE']);
    const incomplete = card(a.cards, 'DATA_INCOMPLETE');
    expect(incomplete.indicator).toBe('info');
    expect(incomplete.summary).toBe('Some imatinib safety checks could not be run: no data from the EHR for labs.');
    expect(incomplete.suggestions).toBeUndefined();
  });

  it('negative: with every key obtained there is no DATA_INCOMPLETE card', async () => {
    const a = await invoke(sign([imatinibOrder({ id: 'p7-2', tablets: 1, frequency: 1 })], [gistCondition(), ...tested(), ...normalLabs(), pregnancyStatus(true, daysAgo(5))]));
    expect(rules(a.cards)).toEqual(['PREGNANCY']);
  });

  it('null prefetch values keep their meaning: no data, not missing', async () => {
    const prefetch = { ...fullPrefetch([gistCondition(), ...tested()]), labs: null, pregnancy: null };
    const a = await invoke(orderSignRequest({ orders: [imatinibOrder({ id: 'p7-3', tablets: 1, frequency: 1 })], prefetch }));
    expect(a.status).toBe(200);
    expect(rules(a.cards)).toEqual([]);
  });
});
