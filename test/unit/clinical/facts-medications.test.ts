import type { FhirResource, MedicationStatement } from 'fhir/r4';
import { derive } from '../../helpers/derive';
import { dosage, imatinibRecord, medication, medicationRequest, medicationStatement } from '../../helpers/fhir-builders';

const facts = (resources: FhirResource[], evaluated: Array<string | import('fhir/r4').MedicationRequest> = []) => derive(resources, evaluated);

describe('imatinib history', () => {
  it('dates the start of therapy from the earliest record of any status but entered-in-error', () => {
    const f = facts([
      imatinibRecord({ id: 'cur', status: 'active', start: '2025-06-01' }),
      imatinibRecord({ id: 'old', status: 'completed', start: '2024-02-01' }),
      imatinibRecord({ id: 'eie', status: 'entered-in-error', start: '2020-01-01' }),
    ]);
    expect(f.imatinib.start).toEqual({
      description: 'Imatinib started 2024-02-01 (imatinib 400 MG Oral Tablet, order completed)',
      date: '2024-02-01',
      sourceRef: 'MedicationRequest/old',
    });
    expect(f.imatinib.taking).toBe(true);
    expect(f.imatinib.currentRecords).toEqual(['MedicationRequest/cur']);
  });

  it('reads MedicationStatement effectivePeriod.start and effectiveDateTime', () => {
    const ms = imatinibRecord({ kind: 'MedicationStatement', id: 'ms', start: '2023-05-05', status: 'completed' });
    expect(facts([ms]).imatinib.start).toMatchObject({ date: '2023-05-05', sourceRef: 'MedicationStatement/ms' });
    const dt = medicationStatement({ id: 'dt', rxnorm: '282388', status: 'completed', effectiveDateTime: '2022-01-02' });
    expect(facts([dt]).imatinib.start?.date).toBe('2022-01-02');
  });

  it('excludes the orders under evaluation', () => {
    const f = facts([imatinibRecord({ id: 'draft', status: 'draft', start: '2026-06-01' })], ['MedicationRequest/draft']);
    expect(f.imatinib).toEqual({ taking: false, currentRecords: [], unidentifiedCurrent: [] });
  });

  it('computes the current dose over active and on-hold records', () => {
    const f = facts([
      imatinibRecord({ id: 'a', status: 'active', tablets: 1, frequency: 1 }),
      imatinibRecord({ id: 'b', status: 'on-hold', rxnorm: '403878', tablets: 2, frequency: 1 }),
      imatinibRecord({ id: 'c', status: 'stopped', tablets: 1, frequency: 2 }),
    ]);
    expect(f.imatinib.currentDose).toMatchObject({ kind: 'computed', mgPerDay: 600 });
    expect(f.imatinib.currentRecords).toEqual(['MedicationRequest/a', 'MedicationRequest/b']);
  });

  it('reports an unparseable current dose as unparseable', () => {
    const f = facts([imatinibRecord({ status: 'active', dosageInstruction: [{ text: 'as directed by oncology' }] })]);
    expect(f.imatinib.currentDose?.kind).toBe('unparseable');
    expect(f.imatinib.taking).toBe(true);
  });

  it('has no current dose when not taking imatinib', () => {
    const f = facts([imatinibRecord({ status: 'completed' })]);
    expect(f.imatinib.taking).toBe(false);
    expect(f.imatinib.currentDose).toBeUndefined();
    expect(f.imatinib.start).toBeDefined();
  });

  it('does not count a statement that restates an active request twice', () => {
    const mr = imatinibRecord({ id: 'mr', status: 'active', tablets: 1, frequency: 1 });
    const ms = imatinibRecord({ kind: 'MedicationStatement', id: 'ms', status: 'active', tablets: 1, frequency: 1 }) as MedicationStatement;
    ms.basedOn = [{ reference: 'MedicationRequest/mr' }];
    expect(facts([mr, ms]).imatinib.currentDose).toMatchObject({ kind: 'computed', mgPerDay: 400 });
  });

  it('recognises imatinib through a referenced Medication among the patient resources', () => {
    const med = medication({ id: 'med1', strengthMg: 100 });
    const mr = medicationRequest({ id: 'r', medicationReference: 'Medication/med1', authoredOn: '2025-01-01', dosageInstruction: [dosage({ tablets: 4, frequency: 1 })] });
    expect(facts([med, mr]).imatinib).toMatchObject({ taking: true, currentDose: { kind: 'computed', mgPerDay: 400 } });
  });

  it('ignores non-imatinib medications', () => {
    expect(facts([medicationRequest({ rxnorm: '357977', display: 'sunitinib' })]).imatinib.taking).toBe(false);
  });
});

describe('co-medications', () => {
  it('finds an active strong CYP3A4 inducer by RxNorm ingredient code', () => {
    const f = facts([medicationRequest({ id: 'rif', rxnorm: '9384', display: 'rifampin' })]);
    expect(f.coMedications.cyp3a4Inducers).toEqual([{ name: 'rifampin', matchedBy: 'rxnorm', sourceRef: 'MedicationRequest/rif', exposureCutPercent: '74' }]);
  });

  it('finds a product by name when it has no ingredient code (SCD display)', () => {
    const f = facts([medicationRequest({ id: 'p', rxnorm: '197591', display: 'Rifampin 300 MG Oral Capsule' })]);
    expect(f.coMedications.cyp3a4Inducers).toEqual([{ name: 'rifampin', matchedBy: 'name', sourceRef: 'MedicationRequest/p', exposureCutPercent: '74' }]);
  });

  it("finds St John's wort by code and by its names", () => {
    expect(facts([medicationStatement({ rxnorm: '258326' })]).coMedications.cyp3a4Inducers[0]?.name).toBe("St John's wort");
    expect(facts([medicationStatement({ text: 'Hypericum perforatum extract 300 mg' })]).coMedications.cyp3a4Inducers[0]?.name).toBe("St John's wort");
    expect(facts([medicationStatement({ text: "St. John's Wort" })]).coMedications.cyp3a4Inducers[0]?.matchedBy).toBe('name');
  });

  it('finds strong CYP3A4 inhibitors, cobicistat included', () => {
    const f = facts([medicationRequest({ rxnorm: '1306284' }), medicationStatement({ text: 'Voriconazole 200 mg tablet' }), medicationRequest({ rxnorm: '28031' })]);
    expect(f.coMedications.cyp3a4Inhibitors.map((d) => d.name)).toEqual(['cobicistat', 'itraconazole', 'voriconazole']);
  });

  it('finds active warfarin; stopped, completed or draft warfarin does not count', () => {
    expect(facts([medicationRequest({ rxnorm: '11289', status: 'active' })]).coMedications.warfarin).toHaveLength(1);
    expect(facts([medicationStatement({ text: 'Coumadin 5 mg' })]).coMedications.warfarin[0]?.name).toBe('warfarin');
    for (const status of ['stopped', 'completed', 'draft', 'on-hold', 'entered-in-error'] as const) {
      expect(facts([medicationRequest({ rxnorm: '11289', status })]).coMedications.warfarin).toEqual([]);
    }
    expect(facts([medicationStatement({ rxnorm: '11289', status: 'stopped' })]).coMedications.warfarin).toEqual([]);
  });

  it('lists each drug once and ignores unrelated drugs', () => {
    const f = facts([medicationRequest({ rxnorm: '11289' }), medicationStatement({ text: 'warfarin 2 mg' }), medicationRequest({ text: 'fluconazole 150 mg' })]);
    expect(f.coMedications).toEqual({ cyp3a4Inducers: [], cyp3a4Inhibitors: [], warfarin: [expect.objectContaining({ name: 'warfarin', matchedBy: 'rxnorm' })] });
  });
});

describe('1.1 §2 imatinib history: revised orders and unidentified records', () => {
  it('counts an evaluated order that is itself active (a revised order) as already taking imatinib', () => {
    const revised = imatinibRecord({ id: 'rev', status: 'active', start: '2025-01-05' }) as import('fhir/r4').MedicationRequest;
    const f = facts([revised], [revised]);
    expect(f.imatinib.taking).toBe(true);
    // The stored version (same id) is the dose taken now; the start of therapy still excludes the order.
    expect(f.imatinib.currentDose).toMatchObject({ kind: 'computed', mgPerDay: 400 });
    expect(f.imatinib.start).toBeUndefined();
  });

  it('a revised order with no stored version: taking, current dose not known and why', () => {
    const revised = { ...imatinibRecord({ id: 'rev2', status: 'on-hold' }) } as import('fhir/r4').MedicationRequest;
    const f = facts([], [revised]);
    expect(f.imatinib.taking).toBe(true);
    expect(f.imatinib.currentDose).toBeUndefined();
    expect(f.imatinib.currentDoseUnknownBecause).toMatch(/the one being revised/);
  });

  it('negative: a draft evaluated order is not "already taking"', () => {
    expect(facts([], ['MedicationRequest/new-draft']).imatinib.taking).toBe(false);
  });

  it('an active record whose reference nothing resolves and that has no display makes "taking" unknown', () => {
    const f = facts([medicationStatement({ id: 'ghost', status: 'active', medicationReference: 'Medication/nowhere' })]);
    expect(f.imatinib.taking).toEqual({ unknown: true, reasons: [expect.objectContaining({ cause: 'unidentified' })] });
    expect(f.imatinib.unidentifiedCurrent).toEqual(['MedicationStatement/ghost']);
  });

  it('an identified current imatinib record wins over an unidentified one', () => {
    const f = facts([imatinibRecord({ status: 'active' }), medicationStatement({ status: 'active', medicationReference: 'Medication/nowhere' })]);
    expect(f.imatinib.taking).toBe(true);
    expect(f.imatinib.currentDose).toBeUndefined();
    expect(f.imatinib.currentDoseUnknownBecause).toMatch(/could not be identified/);
  });

  it('an unresolved reference whose display names imatinib is imatinib known by name', () => {
    const ms = { ...medicationStatement({ status: 'active' }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/x', display: 'Glivec 400 mg' } };
    expect(facts([ms]).imatinib.taking).toBe(true);
  });

  it('an unresolved reference whose display names another drug is that drug by name (rifampin → inducer)', () => {
    const mr = { ...medicationRequest({ id: 'rif-ref' }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/y', display: 'Rifampin 300 mg capsule' } };
    const f = facts([mr]);
    expect(f.coMedications.cyp3a4Inducers).toEqual([expect.objectContaining({ name: 'rifampin', matchedBy: 'name', sourceRef: 'MedicationRequest/rif-ref' })]);
    expect(f.imatinib.taking).toBe(false);
  });

  it('a stopped unidentified record does not make "taking" unknown', () => {
    expect(facts([medicationStatement({ status: 'stopped', medicationReference: 'Medication/nowhere' })]).imatinib.taking).toBe(false);
  });
});

describe('1.1 §7 imatinib history with the medication data missing', () => {
  it('"already taking" is not known when the medication orders could not be obtained', () => {
    const f = derive([], [], [{ key: 'medicationRequests', label: 'medication orders', reason: 'HTTP 500', resourceType: 'MedicationRequest' }]);
    expect(f.imatinib.taking).toEqual({ unknown: true, reasons: [expect.objectContaining({ cause: 'unavailable', keys: ['medicationRequests'] })] });
  });
});
