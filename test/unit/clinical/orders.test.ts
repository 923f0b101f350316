import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, MedicationRequest } from 'fhir/r4';
import type { FhirResource, Medication } from 'fhir/r4';
import { indexMedications, type ResolvedMedication } from '../../../src/clinical/medication';
import { buildImatinibOrders, decideUnresolved, isImatinibMedication, selectImatinibOrders as select, type OrderSelectionRequest } from '../../../src/clinical/orders';
import { bundle, dosage, imatinibOrder, medication, medicationRequest, SYSTEMS } from '../../helpers/fhir-builders';

function fixture(name: string): { context: { draftOrders: Bundle; selections?: string[] } } {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures/cds-hooks', name), 'utf8'));
}

const ids = (orders: MedicationRequest[]) => orders.map((o) => o.id);

/** The imatinib orders recognised from the request alone. */
const selectImatinibOrders = (req: OrderSelectionRequest, medications: Medication[] = []): MedicationRequest[] => select(req, medications).imatinib;
/** A medication known by its concept. */
const known = (r: Omit<ResolvedMedication, 'via'>): ResolvedMedication => ({ via: 'concept', ...r });
const build = (orders: MedicationRequest[], draftOrders: Bundle, extra: FhirResource[] = []) => buildImatinibOrders(orders, indexMedications(draftOrders, extra));

describe('selectImatinibOrders: which orders are evaluated', () => {
  it('finds nothing in the CDS Hooks example requests (amoxicillin and a diet order)', () => {
    const sign = fixture('order-sign-R4-context.json').context;
    const select = fixture('order-select-R4-context.json').context;
    expect(selectImatinibOrders({ hook: 'order-sign', draftOrders: sign.draftOrders })).toEqual([]);
    expect(selectImatinibOrders({ hook: 'order-select', draftOrders: select.draftOrders, selections: select.selections })).toEqual([]);
  });

  it('order-sign evaluates every imatinib order, skipping stopped/entered-in-error/completed/cancelled', () => {
    const orders = [
      imatinibOrder({ id: 'draft' }),
      imatinibOrder({ id: 'active', status: 'active' }),
      imatinibOrder({ id: 'on-hold', status: 'on-hold' }),
      imatinibOrder({ id: 'stopped', status: 'stopped' }),
      imatinibOrder({ id: 'eie', status: 'entered-in-error' }),
      imatinibOrder({ id: 'completed', status: 'completed' }),
      imatinibOrder({ id: 'cancelled', status: 'cancelled' }),
      medicationRequest({ id: 'aspirin', rxnorm: '243670', display: 'aspirin 81 MG Oral Tablet', status: 'draft' }),
    ];
    expect(ids(selectImatinibOrders({ hook: 'order-sign', draftOrders: bundle(orders) }))).toEqual(['draft', 'active', 'on-hold']);
  });

  it('order-select evaluates only the selected orders', () => {
    const draftOrders = bundle([imatinibOrder({ id: 'a' }), imatinibOrder({ id: 'b' })]);
    expect(ids(selectImatinibOrders({ hook: 'order-select', draftOrders, selections: ['MedicationRequest/b'] }))).toEqual(['b']);
    expect(selectImatinibOrders({ hook: 'order-select', draftOrders, selections: [] })).toEqual([]);
    expect(selectImatinibOrders({ hook: 'order-select', draftOrders })).toEqual([]);
  });

  it('matches selections by fullUrl forms as well as Type/id', () => {
    const a = imatinibOrder({ id: 'a' });
    const b = imatinibOrder({ id: 'b' });
    const urn = bundle([a, b]);
    expect(ids(selectImatinibOrders({ hook: 'order-select', draftOrders: urn, selections: ['urn:uuid:a'] }))).toEqual(['a']);
    const absolute = bundle([a, b], { fullUrlBase: 'https://ehr.example.org/fhir' });
    expect(ids(selectImatinibOrders({ hook: 'order-select', draftOrders: absolute, selections: ['https://ehr.example.org/fhir/MedicationRequest/b'] }))).toEqual(['b']);
    expect(ids(selectImatinibOrders({ hook: 'order-select', draftOrders: urn, selections: ['https://other.example/fhir/MedicationRequest/a/_history/3'] }))).toEqual(['a']);
    expect(selectImatinibOrders({ hook: 'order-select', draftOrders: urn, selections: ['NutritionOrder/a'] })).toEqual([]);
  });
});

describe('isImatinibMedication: recognition (docs/clinical-rules.md §1)', () => {
  const rx = (code: string, display?: string) => known({ concept: { coding: [{ system: SYSTEMS.rxnorm, code, ...(display ? { display } : {}) }] } });

  it.each(['282388', '282386', '403878', '403879', '404588', '404589', '406050', '331600', '406051', '284206', '483431', '411240', '1160680'])(
    'recognises RxNorm %s',
    (code) => expect(isImatinibMedication(rx(code))).toBe(true),
  );

  it('treats a non-imatinib RxNorm code as decisive, whatever the text says', () => {
    expect(isImatinibMedication(known({ concept: { coding: [{ system: SYSTEMS.rxnorm, code: '617993', display: 'Amoxicillin' }], text: 'imatinib (Gleevec)' } }))).toBe(false);
    expect(isImatinibMedication(rx('999999', 'imatinib 400 mg'))).toBe(false);
  });

  it('recognises imatinib/Gleevec/Glivec by text or display only when there is no RxNorm code', () => {
    expect(isImatinibMedication(known({ concept: { text: 'GLEEVEC 400mg tab' } }))).toBe(true);
    expect(isImatinibMedication(known({ concept: { text: 'Glivec' } }))).toBe(true);
    expect(isImatinibMedication(known({ concept: { coding: [{ system: 'http://hl7.org/fhir/sid/ndc', code: '0078-0401-05', display: 'Imatinib Mesylate 400 MG' }] } }))).toBe(true);
    expect(isImatinibMedication(known({ concept: { text: 'nilotinib 200 mg' } }))).toBe(false);
    expect(isImatinibMedication({ via: 'unidentified' })).toBe(false);
  });

  it('never reads dosageInstruction.text', () => {
    const order = medicationRequest({ text: 'aspirin', dosageInstruction: [{ text: 'imatinib 400 mg daily' }], status: 'draft' });
    expect(selectImatinibOrders({ hook: 'order-sign', draftOrders: bundle([order]) })).toEqual([]);
  });

  it('follows a contained Medication', () => {
    const order = medicationRequest({ status: 'draft', medicationReference: '#med', contained: [medication({ id: 'med', rxnorm: '403879' })] });
    expect(selectImatinibOrders({ hook: 'order-sign', draftOrders: bundle([order]) })).toHaveLength(1);
  });

  it('follows a Medication in the draft Bundle, by relative reference or fullUrl', () => {
    const med = medication({ id: 'm1', text: 'Imatinib 100 mg tablet' });
    const byRef = medicationRequest({ status: 'draft', medicationReference: 'Medication/m1' });
    const byUrn = medicationRequest({ status: 'draft', medicationReference: 'urn:uuid:m1' });
    expect(selectImatinibOrders({ hook: 'order-sign', draftOrders: bundle([med, byRef, byUrn]) })).toHaveLength(2);
  });

  it('follows a Medication passed from prefetch; a reference nothing resolves is left to read from the server', () => {
    const order = medicationRequest({ status: 'draft', medicationReference: 'Medication/m2' });
    const draftOrders = bundle([order]);
    expect(selectImatinibOrders({ hook: 'order-sign', draftOrders }, [medication({ id: 'm2', rxnorm: '282388' })])).toHaveLength(1);
    expect(select({ hook: 'order-sign', draftOrders })).toEqual({ imatinib: [], unresolved: [{ order, reference: 'Medication/m2' }] });
  });

  it('uses the ingredient of a Medication that has no code of its own', () => {
    const med = medication({ id: 'm3', strengthMg: 400 });
    const order = medicationRequest({ status: 'draft', medicationReference: 'Medication/m3' });
    expect(selectImatinibOrders({ hook: 'order-sign', draftOrders: bundle([med, order]) })).toHaveLength(1);
  });
});

describe('buildImatinibOrders: label and dose', () => {
  it('computes the dose from the RxNorm strength and names the product', () => {
    const order = imatinibOrder({ id: 'o1', rxnorm: '403878', tablets: 4, frequency: 2 });
    const [built] = build([order], bundle([order]));
    expect(built).toEqual({
      resource: order,
      reference: 'MedicationRequest/o1',
      medicationLabel: 'imatinib 100 MG Oral Tablet',
      product: expect.objectContaining({ rxcui: '403878', strengthMg: 100 }),
      dose: { kind: 'computed', mgPerDay: 800, derivation: '4 × 100 mg tablet × 2/day (2× per day) = 800 mg/day' },
    });
  });

  it('takes the strength from Medication.ingredient.strength when the code has none', () => {
    const med = medication({ id: 'm4', rxnorm: '282388', strengthMg: 100 });
    const order = medicationRequest({ id: 'o2', status: 'draft', medicationReference: 'Medication/m4', dosageInstruction: [dosage({ tablets: 3, frequency: 1 })] });
    const [built] = build([order], bundle([med, order]));
    expect(built?.dose).toMatchObject({ kind: 'computed', mgPerDay: 300 });
  });

  it('divides a strength given per several tablets', () => {
    const med = medication({ id: 'm5', text: 'imatinib', strengthMg: 800, per: { value: 2, unit: 'tablet', code: '{tbl}' } });
    const order = medicationRequest({ id: 'o3', status: 'draft', medicationReference: '#m5', contained: [med], dosageInstruction: [dosage({ tablets: 1, frequency: 1 })] });
    expect(build([order], bundle([order]))[0]?.dose).toMatchObject({ kind: 'computed', mgPerDay: 400 });
  });

  it('is unparseable when tablets are ordered without any known strength', () => {
    const order = imatinibOrder({ id: 'o4', rxnorm: '282388', tablets: 1, frequency: 1 });
    const [built] = build([order], bundle([order]));
    expect(built?.dose.kind).toBe('unparseable');
    expect(built?.medicationLabel).toBe('imatinib');
  });

  it('computes mg doses regardless of the product', () => {
    const order = imatinibOrder({ id: 'o5', rxnorm: '282388', mg: 400, code: 'BID' });
    expect(build([order], bundle([order]))[0]?.dose).toMatchObject({ kind: 'computed', mgPerDay: 800 });
  });

  it('does not throw on the CDS Hooks example whose doseAndRate is an object, not an array', () => {
    const selectCtx = fixture('order-select-R4-context.json').context;
    const mr = (selectCtx.draftOrders.entry ?? []).map((e) => e.resource).find((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
    expect(mr).toBeDefined();
    const [built] = build([mr as MedicationRequest], selectCtx.draftOrders);
    expect(built?.dose).toMatchObject({ kind: 'unparseable' });
  });
});

describe('1.1 §1 unresolved medicationReference of a draft order', () => {
  const order = medicationRequest({ id: 'u1', status: 'draft', medicationReference: 'Medication/remote' });
  const named = { ...medicationRequest({ id: 'u2', status: 'draft' }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/other', display: 'Gleevec 400 mg tablet' } } as MedicationRequest;
  const otherDrug = { ...medicationRequest({ id: 'u3', status: 'draft' }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/x', display: 'amoxicillin 500 mg' } } as MedicationRequest;

  it('lists the reference to read, with the display when the client sent one', () => {
    const s = select({ hook: 'order-sign', draftOrders: bundle([order, named]) });
    expect(s.unresolved).toEqual([
      { order, reference: 'Medication/remote' },
      { order: named, reference: 'Medication/other', display: 'Gleevec 400 mg tablet' },
    ]);
  });

  it('decides by the read Medication: imatinib is evaluated, another drug is not', () => {
    const s = select({ hook: 'order-sign', draftOrders: bundle([order]) });
    expect(decideUnresolved(s.unresolved, new Map([['Medication/remote', { status: 'found', medication: medication({ id: 'remote', rxnorm: '403879' }) }]])).imatinib).toEqual([order]);
    expect(decideUnresolved(s.unresolved, new Map([['Medication/remote', { status: 'found', medication: medication({ id: 'remote', rxnorm: '723' }) }]])).imatinib).toEqual([]);
  });

  it('a Medication the server does not have (404) leaves an order without a display unevaluated', () => {
    const s = select({ hook: 'order-sign', draftOrders: bundle([order]) });
    expect(decideUnresolved(s.unresolved, new Map([['Medication/remote', { status: 'not-found' }]]))).toEqual({ imatinib: [], failed: [] });
  });

  it('a failed read of an order without a display cannot be decided (the pipeline answers 412)', () => {
    const s = select({ hook: 'order-sign', draftOrders: bundle([order]) });
    expect(decideUnresolved(s.unresolved, new Map([['Medication/remote', { status: 'failed', reason: 'FHIR server answered HTTP 503' }]]))).toEqual({
      imatinib: [],
      failed: [{ reference: 'Medication/remote', reason: 'FHIR server answered HTTP 503' }],
    });
  });

  it('a failed or missing read falls back to the display: imatinib by name is evaluated, another drug by name is not', () => {
    const s = select({ hook: 'order-sign', draftOrders: bundle([named, otherDrug]) });
    const failed = new Map(s.unresolved.map((u) => [u.reference, { status: 'failed' as const, reason: 'timeout' }]));
    expect(decideUnresolved(s.unresolved, failed)).toEqual({ imatinib: [named], failed: [] });
  });
});
