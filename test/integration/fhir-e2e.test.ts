/**
 * End to end over HTTP: the real service (src/compose.ts) calling a real FHIR server for absent prefetch
 * keys and for the Medications patient records reference. The same patient must give the same cards
 * whichever route its data takes (prefetch, fetch, a mix, a Medication by reference), and missing data must
 * answer 412 with an OperationOutcome naming the keys (and only those).
 */
import type { FhirResource } from 'fhir/r4';
import { listen, makeService, type ListeningService } from '../helpers/service';
import { orderSignRequest, orderSelectRequest } from '../helpers/requests';
import {
  NOW,
  PATIENT_ID,
  LOINC,
  daysAgo,
  gistCondition,
  imatinibOrder,
  imatinibRecord,
  lab,
  medication,
  medicationRequest,
  metastasisCondition,
  diseaseStatus,
  variantObservation,
} from '../helpers/fhir-builders';
import { fixturePatientResources, forPatient, startFhirServer, type TestFhirServer } from '../helpers/fhir-server';
import { resolveTemplate } from '../../src/fhir/templates';

const TOKEN = 'e2e-access-token';
const SERVICE = 'imatinib-order-sign';

let fhir: TestFhirServer;
let svc: ListeningService;

/** Advanced KIT exon 9 GIST on 400 mg, progressing, with warfarin and low platelets: several rules fire. */
function patientResources(o: { warfarin?: FhirResource[] } = {}): FhirResource[] {
  return [
    ...fixturePatientResources(PATIENT_ID),
    ...forPatient([gistCondition(), lab(LOINC.anc, 0.5, '10*9/L', daysAgo(400))], 'another-patient'),
    gistCondition(),
    metastasisCondition(),
    variantObservation({ gene: 'KIT', exon: '9' }),
    diseaseStatus('worsened', daysAgo(20)),
    lab(LOINC.platelets, 40, '10*9/L', daysAgo(2)),
    lab(LOINC.anc, 2.0, '10*9/L', daysAgo(2)),
    imatinibRecord({ status: 'active', start: daysAgo(400), tablets: 1, frequency: 1 }),
    ...(o.warfarin ?? [medicationRequest({ id: 'warfarin-order', rxnorm: '11289', display: 'warfarin' })]),
  ].filter((r) => !(r.resourceType === 'Condition' && r.id === 'primary-cancer-condition-nsclc'));
}

const order = () => imatinibOrder({ id: 'imatinib-draft-1', tablets: 1, frequency: 1 });

/** The prefetch an EHR would send: each of the service's templates run against the FHIR server. */
async function prefetchFromServer(keys?: string[]): Promise<Record<string, unknown>> {
  const templates = svc.services.byId.get(SERVICE)?.prefetchTemplates;
  if (!templates) throw new Error(`service ${SERVICE} not loaded`);
  const prefetch: Record<string, unknown> = {};
  for (const t of templates.entries) {
    if (keys && !keys.includes(t.key)) continue;
    const r = resolveTemplate(t, { patientId: PATIENT_ID });
    if (!r.ok) throw new Error(r.reason);
    prefetch[t.key] = await (await fetch(`${fhir.baseUrl}/${r.url}`)).json();
  }
  fhir.requests.length = 0;
  return prefetch;
}

interface CardView {
  summary: string;
  indicator: string;
  rule?: string;
  suggestions: string[];
}

async function cardsFor(body: Record<string, unknown>, service = SERVICE): Promise<{ status: number; cards: CardView[]; raw: Record<string, unknown> }> {
  const res = await fetch(`${svc.baseUrl}/cds-services/${service}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const raw = (await res.json()) as Record<string, unknown>;
  const cards = ((raw.cards ?? []) as { summary: string; indicator: string; source: { topic?: { code?: string } }; suggestions?: { label: string }[] }[])
    .map((c) => ({ summary: c.summary, indicator: c.indicator, rule: c.source.topic?.code, suggestions: (c.suggestions ?? []).map((s) => s.label).sort() }))
    .sort((a, b) => `${a.rule}${a.summary}`.localeCompare(`${b.rule}${b.summary}`));
  return { status: res.status, cards, raw };
}

beforeAll(async () => {
  fhir = await startFhirServer();
  svc = await listen(makeService({ fhir: { allowedServers: ['http://127.0.0.1'] } }, { now: () => NOW }));
});

afterAll(async () => {
  await svc.stop();
  await fhir.close();
});

beforeEach(async () => {
  await fhir.reset();
  await fhir.load(patientResources());
});

describe('same cards whichever data route', () => {
  it('prefetch, fetch from the FHIR server, and a mix give the same cards', async () => {
    const full = await prefetchFromServer();
    const viaPrefetch = await cardsFor(orderSignRequest({ orders: [order()], prefetch: full }));
    expect(fhir.requests).toHaveLength(0);

    await fhir.setBehaviour({ requireToken: TOKEN });
    const viaFetch = await cardsFor(orderSignRequest({ orders: [order()], fhirServer: fhir.baseUrl, accessToken: TOKEN }));
    expect(fhir.requests.length).toBe(Object.keys(full).length);
    expect(fhir.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);

    const half = Object.fromEntries(Object.entries(full).filter((_e, i) => i % 2 === 1));
    fhir.requests.length = 0;
    const viaMix = await cardsFor(orderSignRequest({ orders: [order()], prefetch: half, fhirServer: fhir.baseUrl, accessToken: TOKEN }));
    expect(fhir.requests.length).toBe(Object.keys(full).length - Object.keys(half).length);

    expect(viaPrefetch.status).toBe(200);
    expect(viaPrefetch.cards.length).toBeGreaterThan(1);
    expect(viaFetch).toEqual({ ...viaPrefetch, raw: viaFetch.raw });
    expect(viaMix.cards).toEqual(viaPrefetch.cards);
    expect(viaFetch.cards).toEqual(viaPrefetch.cards);
  });

  it('a paged FHIR server gives the same cards as a complete prefetch (order-select)', async () => {
    const full = await prefetchFromServer();
    const viaPrefetch = await cardsFor(orderSelectRequest({ orders: [order()], prefetch: full }), 'imatinib-order-select');
    // Pages of 4: the largest key (genomics, ~10 results) needs 3 pages, within the default maxPages of 5.
    await fhir.setBehaviour({ pageSize: 4 });
    const viaPages = await cardsFor(orderSelectRequest({ orders: [order()], fhirServer: fhir.baseUrl, accessToken: TOKEN }), 'imatinib-order-select');
    expect(fhir.requests.some((r) => r.url.includes('_offset='))).toBe(true);
    expect(viaPages.status).toBe(200);
    expect(viaPages.cards).toEqual(viaPrefetch.cards);
    expect(viaPages.cards.length).toBeGreaterThan(1);
  });
});

describe('Medications referenced by patient records', () => {
  it('a co-medication known only by a Medication reference is read from the FHIR server: same cards as with the code inline', async () => {
    const inline = await cardsFor(orderSignRequest({ orders: [order()], fhirServer: fhir.baseUrl, accessToken: TOKEN }));
    expect(inline.status).toBe(200);

    await fhir.reset();
    const warfarinMed = medication({ id: 'warfarin-med', rxnorm: '11289', text: 'warfarin' });
    await fhir.load(patientResources({ warfarin: [warfarinMed, medicationRequest({ id: 'warfarin-order', medicationReference: 'Medication/warfarin-med' })] }));
    await fhir.setBehaviour({ requireToken: TOKEN });
    const byReference = await cardsFor(orderSignRequest({ orders: [order()], fhirServer: fhir.baseUrl, accessToken: TOKEN }));
    const reads = fhir.requests.filter((r) => r.url.startsWith('/Medication/'));
    expect(reads).toEqual([{ method: 'GET', url: '/Medication/warfarin-med', authorization: `Bearer ${TOKEN}` }]);
    expect(byReference.status).toBe(200);
    expect(byReference.cards).toEqual(inline.cards);

    // Without the read (the server has no such Medication) the warfarin order is not recognised: fewer cards.
    await fhir.reset();
    await fhir.load(patientResources({ warfarin: [medicationRequest({ id: 'warfarin-order', medicationReference: 'Medication/warfarin-med' })] }));
    const unreadable = await cardsFor(orderSignRequest({ orders: [order()], fhirServer: fhir.baseUrl, accessToken: TOKEN }));
    expect(unreadable.status).toBe(200);
    expect(unreadable.cards).not.toEqual(inline.cards);
  });
});

describe('partial data and the 412 (docs/clinical-rules.md §7)', () => {
  function issues(raw: Record<string, unknown>): { code: string; expression: string[]; diagnostics: string }[] {
    expect(raw.resourceType).toBe('OperationOutcome');
    return raw.issue as { code: string; expression: string[]; diagnostics: string }[];
  }

  it('1.1 §7: FHIR server down with the diagnoses prefetched: evaluated with what was obtained, not 412', async () => {
    const prefetch = await prefetchFromServer(['patient', 'conditions', 'genomics']);
    await fhir.setBehaviour({ down: true });
    const a = await cardsFor(orderSignRequest({ orders: [order()], prefetch, fhirServer: fhir.baseUrl, accessToken: TOKEN }));
    expect(a.status).toBe(200);
    const incomplete = a.cards.find((c) => c.rule === 'DATA_INCOMPLETE');
    expect(incomplete?.summary).toBe(
      'Some imatinib safety checks could not be run: no data from the EHR for labs, pregnancy, medication orders, medication list.',
    );
    expect(a.cards.map((c) => c.rule)).not.toContain('NO_MUTATION_TEST');
    expect(JSON.stringify(a.raw)).not.toContain(TOKEN);
  });

  it('FHIR server down and the diagnoses not prefetched: 412 naming every key that was not prefetched', async () => {
    const prefetch = await prefetchFromServer(['patient', 'genomics']);
    await fhir.setBehaviour({ down: true });
    const a = await cardsFor(orderSignRequest({ orders: [order()], prefetch, fhirServer: fhir.baseUrl, accessToken: TOKEN }));
    expect(a.status).toBe(412);
    const named = issues(a.raw).flatMap((i) => i.expression);
    expect(named[0]).toBe('prefetch.conditions');
    expect([...named].sort()).toEqual(['prefetch.conditions', 'prefetch.diseaseStatus', 'prefetch.labs', 'prefetch.medicationRequests', 'prefetch.medicationStatements', 'prefetch.pregnancy', 'prefetch.staging']);
    expect(issues(a.raw)[0]?.diagnostics).toMatch(/the GIST diagnosis cannot be decided without the patient's Conditions/);
    expect(JSON.stringify(a.raw)).not.toContain(TOKEN);
  });

  it('1.1 §7: one key failing (HTTP 500 for the labs search only): 200, the rest evaluated, DATA_INCOMPLETE names the labs', async () => {
    await fhir.setBehaviour({ respond: (req) => (req.url.startsWith('/Observation') && req.url.includes('751-8') ? { status: 500, body: '{}' } : undefined) });
    const a = await cardsFor(orderSignRequest({ orders: [order()], fhirServer: fhir.baseUrl, accessToken: TOKEN }));
    expect(a.status).toBe(200);
    const rules = a.cards.map((c) => c.rule);
    expect(rules).toEqual(expect.arrayContaining(['WARFARIN', 'EXON9_HIGH_DOSE', 'DATA_INCOMPLETE']));
    expect(rules).not.toContain('HEMATOLOGIC_HOLD');
    expect(a.cards.find((c) => c.rule === 'DATA_INCOMPLETE')?.summary).toBe('Some imatinib safety checks could not be run: no data from the EHR for labs.');
    // The increase waits for the kidney and blood-count checks it depends on.
    const exon9 = a.cards.find((c) => c.rule === 'EXON9_HIGH_DOSE');
    expect(exon9?.indicator).toBe('info');
    expect(exon9?.suggestions).toEqual([]);
  });

  it('1.1 §7: the pharmacy summary lists every unchecked rule with the missing key, and no DATA_INCOMPLETE card', async () => {
    await fhir.setBehaviour({ respond: (req) => (req.url.startsWith('/Observation') && req.url.includes('751-8') ? { status: 503, body: '{}' } : undefined) });
    const a = await cardsFor(orderSignRequest({ orders: [order()], fhirServer: fhir.baseUrl, accessToken: TOKEN }), 'imatinib-pharmacy-verify');
    expect(a.status).toBe(200);
    expect(a.cards.map((c) => c.rule)).not.toContain('DATA_INCOMPLETE');
    const detail = ((a.raw.cards as { source: { topic?: { code?: string } }; detail?: string }[]).find((c) => c.source.topic?.code === 'VERIFICATION_SUMMARY')?.detail ?? '');
    expect(detail).toContain('- labs ("labs"): FHIR server answered HTTP 503');
    expect(detail).toMatch(/- HEMATOLOGIC_HOLD \(.*\): \*\*not checked\*\* \(data unavailable: labs \("labs"\)\)/);
  });

  it('401 from the FHIR server for every key (the diagnoses too): 412', async () => {
    await fhir.setBehaviour({ requireToken: 'another-token' });
    const a = await cardsFor(orderSignRequest({ orders: [order()], fhirServer: fhir.baseUrl, accessToken: TOKEN }));
    expect(a.status).toBe(412);
    expect(issues(a.raw).every((i) => /HTTP 401/.test(i.diagnostics))).toBe(true);
  });

  it('fhirServer not allow-listed: 412 and no request reaches any server', async () => {
    const port = new URL(fhir.baseUrl).port;
    const a = await cardsFor(orderSignRequest({ orders: [order()], fhirServer: `http://localhost:${port}`, accessToken: TOKEN }));
    expect(a.status).toBe(412);
    expect(issues(a.raw)[0]?.diagnostics).toMatch(/allow-list/);
    expect(fhir.requests).toHaveLength(0);
  });

  it('no prefetch and no fhirServer: 412', async () => {
    const a = await cardsFor(orderSignRequest({ orders: [order()] }));
    expect(a.status).toBe(412);
    expect(issues(a.raw).length).toBe(9);
  });
});
