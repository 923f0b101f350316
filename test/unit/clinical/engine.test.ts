import type { FhirResource, MedicationRequest } from 'fhir/r4';
import { createClinicalEngine } from '../../../src/clinical/engine';
import type { ClinicalRequest } from '../../../src/clinical/types';
import type { Card } from '../../../src/protocol/cards';
import { assertValidCdsResponse } from '../../helpers/assert-cds';
import { CFG } from '../../helpers/facts-factory';
import {
  LOINC,
  NOW,
  bundle,
  daysAgo,
  diseaseStatus,
  gistCondition,
  imatinibOrder,
  imatinibRecord,
  lab,
  medicationRequest,
  metastasisCondition,
  pregnancyStatus,
  variantObservation,
} from '../../helpers/fhir-builders';

const engine = createClinicalEngine(CFG);
const SIGN = { serviceTitle: 'Imatinib for GIST: order signing check', verificationSummary: false };
const PHARMACY = { serviceTitle: 'Imatinib for GIST: pharmacy verification', verificationSummary: true };

type RequestExtra = Partial<ClinicalRequest> & { hook?: 'order-select' | 'order-sign'; selections?: string[] };

/** A request as the pipeline hands it over: the orders selected once, from the draft Bundle. */
function request(orders: MedicationRequest[], patientResources: FhirResource[], extra: RequestExtra = {}): ClinicalRequest {
  const { hook = 'order-sign', selections, ...rest } = extra;
  const draftOrders = bundle(orders);
  const selected = engine.selectOrders({ hook, draftOrders, ...(selections ? { selections } : {}) });
  return { orders: selected.imatinib, draftOrders, patientResources, now: NOW, ...rest };
}

function codes(cards: Card[]): string[] {
  return cards.map((c) => c.source.topic?.code ?? '');
}

const advancedExon9 = (): FhirResource[] => [gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', exon: '9' })];
const advancedExon11 = (): FhirResource[] => [gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', exon: '11' })];

describe('clinical engine', () => {
  it('answers no cards when no draft order is imatinib', () => {
    const amoxicillin = medicationRequest({ rxnorm: '723', display: 'amoxicillin', status: 'draft' });
    const req = request([amoxicillin], advancedExon9());
    expect(req.orders).toEqual([]);
    expect(engine.evaluate(req, PHARMACY)).toEqual({ cards: [], ruleIds: [] });
  });

  it('evaluates only the selected orders on order-select', () => {
    const selected = imatinibOrder({ id: 'sel', tablets: 1 });
    const other = imatinibOrder({ id: 'other', tablets: 3 });
    const req = request([selected, other], advancedExon11(), { hook: 'order-select', selections: ['MedicationRequest/sel'] });
    expect(req.orders.map((o) => o.id)).toEqual(['sel']);
    expect(engine.evaluate(req, SIGN).cards).toEqual([]);
  });

  it('suggests 400 mg twice daily for KIT exon 9 on 400 mg daily, as a whole-resource update', () => {
    const order = imatinibOrder({ id: 'ex9', tablets: 1, frequency: 1 });
    const req = request([order], advancedExon9());
    const { cards, ruleIds } = engine.evaluate(req, SIGN);
    expect(ruleIds).toEqual(['EXON9_HIGH_DOSE']);
    assertValidCdsResponse({ cards }, req.draftOrders);
    const updated = cards[0]?.suggestions?.[0]?.actions?.[0]?.resource as MedicationRequest;
    expect(updated.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity).toEqual({ value: 400, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });
    expect(updated.dosageInstruction?.[0]?.timing?.repeat).toEqual({ frequency: 2, period: 1, periodUnit: 'd' });
  });

  it('gives no EXON9 card when exon 9 GIST is not advanced (adjuvant)', () => {
    const req = request([imatinibOrder({ tablets: 1 })], [gistCondition(), variantObservation({ gene: 'KIT', exon: '9' })]);
    expect(engine.evaluate(req, SIGN).ruleIds).toEqual([]);
  });

  describe('progression', () => {
    const onImatinib = (start: number): FhirResource => imatinibRecord({ status: 'active', start: daysAgo(start), tablets: 1, frequency: 1 });

    it('suggests escalation on progression at 400 mg within the window', () => {
      const req = request([imatinibOrder({ tablets: 1 })], [...advancedExon11(), onImatinib(400), diseaseStatus('worsened', daysAgo(20))]);
      expect(engine.evaluate(req, SIGN).ruleIds).toEqual(['PROGRESSION_ESCALATE']);
    });

    it('gives no progression card for a worsened status dated before imatinib was started', () => {
      const req = request([imatinibOrder({ tablets: 1 })], [...advancedExon11(), onImatinib(100), diseaseStatus('worsened', daysAgo(150))]);
      expect(engine.evaluate(req, SIGN).ruleIds).toEqual([]);
    });

    it('gives no progression card outside the window, but still accepts that progression as an indication for 800 mg', () => {
      const resources = [...advancedExon11(), onImatinib(400), diseaseStatus('worsened', daysAgo(200))];
      expect(engine.evaluate(request([imatinibOrder({ tablets: 1 })], resources), SIGN).ruleIds).toEqual([]);
      expect(engine.evaluate(request([imatinibOrder({ tablets: 1, frequency: 2 })], resources), SIGN).ruleIds).toEqual([]);
    });

    it('gives no progression card to an order already escalating to 800 mg/day', () => {
      const req = request([imatinibOrder({ tablets: 1, frequency: 2 })], [...advancedExon11(), onImatinib(400), diseaseStatus('worsened', daysAgo(20))]);
      expect(engine.evaluate(req, SIGN).ruleIds).toEqual([]);
    });

    it('withholds escalation with CrCl below 60 mL/min: info, no suggestion, says why', () => {
      const req = request(
        [imatinibOrder({ tablets: 1 })],
        [...advancedExon11(), onImatinib(400), diseaseStatus('worsened', daysAgo(20)), lab(LOINC.crclCockcroftGault, 45, 'mL/min', daysAgo(2))],
      );
      const { cards } = engine.evaluate(req, SIGN);
      expect(codes(cards)).toEqual(['PROGRESSION_ESCALATE']);
      expect(cards[0]?.indicator).toBe('info');
      expect(cards[0]?.suggestions).toBeUndefined();
      expect(cards[0]?.detail).toMatch(/^\*\*Dose increase not suggested now:\*\* CrCl 45 mL\/min on \d{4}-\d{2}-\d{2} is below 60 mL\/min/);
    });
  });

  it('sums two draft orders and suggests one update plus one delete', () => {
    const a = imatinibOrder({ id: 'a', tablets: 1 });
    const b = imatinibOrder({ id: 'b', mg: 600 });
    const req = request([a, b], advancedExon11());
    const { cards } = engine.evaluate(req, SIGN);
    expect(codes(cards)).toEqual(['DOSE_ABOVE_MAX']);
    assertValidCdsResponse({ cards }, req.draftOrders);
    expect(cards[0]?.suggestions?.[0]?.actions?.map((x) => x.type)).toEqual(['update', 'delete']);
    expect(cards[0]?.suggestions?.[0]?.actions?.[1]?.resourceId).toBe('MedicationRequest/b');
  });

  it('holds imatinib for ANC 0.8 ×10^9/L and states the value and date', () => {
    const req = request([imatinibOrder({ tablets: 1 })], [...advancedExon11(), lab(LOINC.anc, 0.8, '10*9/L', '2026-05-29')]);
    const { cards } = engine.evaluate(req, SIGN);
    expect(codes(cards)).toEqual(['HEMATOLOGIC_HOLD']);
    expect(cards[0]?.detail).toContain('ANC 0.8 ×10⁹/L (below 1) on 2026-05-29');
  });

  it('reports an unparseable free-text order and runs no dose rule', () => {
    const order = imatinibOrder({ dosageInstruction: [{ text: 'as directed by oncology' }] });
    const { ruleIds } = engine.evaluate(request([order], [...advancedExon9()]), SIGN);
    expect(ruleIds).toEqual(['DOSE_UNPARSEABLE']);
  });

  it('adds the verification summary last for the pharmacy service', () => {
    const req = request([imatinibOrder({ tablets: 3 })], [...advancedExon11(), lab(LOINC.bilirubin, 1.1, 'mg/dL', daysAgo(2))]);
    const { cards, ruleIds } = engine.evaluate(req, PHARMACY);
    expect(ruleIds).toEqual(['DOSE_ABOVE_MAX', 'VERIFICATION_SUMMARY']);
    assertValidCdsResponse({ cards }, req.draftOrders);
    expect(cards[1]?.detail).toMatch(/- \*\*Total: 1200 mg\/day\*\*/);
    expect(cards[1]?.detail).toMatch(/HEPATIC_IMPAIRMENT \(.*\): passed — no ULN on the bilirubin result \(Bilirubin 1.1 mg\/dL\)/);
    expect(cards[1]?.detail).toMatch(/RENAL_DOSE_LIMIT \(.*\): \*\*not checked\*\* — no creatinine clearance or eGFR in the last 30 days/);
  });

  it('flags PDGFRA p.Asp842Val as resistant but not the exon 18 deletion D842_H845del', () => {
    const base = [gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', value: 'absent' })];
    const d842v = request([imatinibOrder({ tablets: 1 })], [...base, variantObservation({ gene: 'PDGFRA', pHgvs: 'p.Asp842Val' })]);
    const deletion = request([imatinibOrder({ tablets: 1 })], [...base, variantObservation({ gene: 'PDGFRA', pHgvs: 'p.Asp842_His845del' })]);
    expect(engine.evaluate(d842v, SIGN).ruleIds).toEqual(['PDGFRA_D842V_RESISTANT']);
    expect(engine.evaluate(deletion, SIGN).ruleIds).toEqual([]);
  });

  it('alerts on a pregnancy status valued pregnant, but not once a later status says not pregnant', () => {
    const pregnant = pregnancyStatus(true, daysAgo(40));
    expect(engine.evaluate(request([imatinibOrder({ tablets: 1 })], [...advancedExon11(), pregnant]), SIGN).ruleIds).toEqual(['PREGNANCY']);
    const superseded = [...advancedExon11(), pregnant, pregnancyStatus(false, daysAgo(5))];
    expect(engine.evaluate(request([imatinibOrder({ tablets: 1 })], superseded), SIGN).ruleIds).toEqual([]);
  });

  it('flags a strong CYP3A4 inducer by RxNorm code', () => {
    const rifampin = medicationRequest({ rxnorm: '9384', display: 'rifampin' });
    const { cards } = engine.evaluate(request([imatinibOrder({ tablets: 1 })], [...advancedExon11(), rifampin]), SIGN);
    expect(codes(cards)).toEqual(['CYP3A4_INDUCER']);
    expect(cards[0]?.summary).toMatch(/\(rifampin\)/i);
  });

  it('fires no rule without a GIST diagnosis, but the pharmacist still gets the summary', () => {
    const req = request([imatinibOrder({ tablets: 3 })], [lab(LOINC.anc, 0.5, '10*9/L', daysAgo(1))]);
    expect(engine.evaluate(req, SIGN)).toEqual({ cards: [], ruleIds: [] });
    const { cards } = engine.evaluate(req, PHARMACY);
    expect(codes(cards)).toEqual(['VERIFICATION_SUMMARY']);
    expect(cards[0]?.detail).toContain('no GIST diagnosis on file');
  });
});

describe('1.1 §5 text for people, from real FHIR shapes', () => {
  it('shows the ULN as the lab reported it, in its own unit, and the ratio to 3 significant digits', () => {
    const bili = lab(LOINC.bilirubinMolar, 70, 'umol/L', daysAgo(2), 21);
    const req = request([imatinibOrder({ tablets: 1 })], [...advancedExon11(), imatinibRecord({ status: 'active' }), bili]);
    const detail = engine.evaluate(req, SIGN).cards.find((c) => c.source.topic?.code === 'HEPATOTOXICITY_HOLD')?.detail ?? '';
    expect(detail).toContain('Bilirubin 70 µmol/L = 3.33× ULN (ULN 21 µmol/L; threshold 3×)');
  });

  it('shows a per-microlitre ANC in ×10⁹/L with the value as reported', () => {
    const req = request([imatinibOrder({ tablets: 1 })], [...advancedExon11(), lab(LOINC.ancManual, 800, '/uL', daysAgo(2))]);
    const hold = engine.evaluate(req, SIGN).cards.find((c) => c.source.topic?.code === 'HEMATOLOGIC_HOLD');
    expect(hold?.summary).toMatch(/^ANC 0\.8 ×10⁹\/L: hold imatinib/);
    expect(hold?.detail).toContain('ANC 0.8 ×10⁹/L (reported as 800 /µL) (below 1)');
  });

  it('shows a dose range as "200–400 mg/day (range)" and compares its high value', () => {
    const order = imatinibOrder({ id: 'rng', rangeHigh: { value: 400, unit: 'mg', code: 'mg' }, frequency: 2 });
    const req = request([order], advancedExon11());
    const cards = engine.evaluate(req, SIGN).cards;
    const hdwi = cards.find((c) => c.source.topic?.code === 'HIGH_DOSE_WITHOUT_INDICATION');
    expect(hdwi?.detail).toContain('- Ordered dose 400–800 mg/day (range)');
  });
});
