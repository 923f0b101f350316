import { createClinicalEngine } from '../../../src/clinical/engine';
import { warmUpRequest } from '../../../src/clinical/warmup';
import { testConfig } from '../../helpers/config';
import { runRules } from '../../../src/clinical/rules/run';
import { verificationSummaryCard, VERIFICATION_SUMMARY_CODE } from '../../../src/clinical/verification';
import { assertValidCard } from '../../helpers/assert-cds';
import { contextFor, order, patientFacts, type FactsOptions } from '../../helpers/facts-factory';
import type { ImatinibOrder } from '../../../src/clinical/types';

function summaryFor(o: FactsOptions, orders: ImatinibOrder[]) {
  const ctx = contextFor(patientFacts(o), orders);
  return verificationSummaryCard({ run: runRules(ctx), ctx, serviceTitle: 'Imatinib for GIST: pharmacy verification' });
}

describe('verification summary card', () => {
  it('is a valid info card with topic VERIFICATION_SUMMARY', () => {
    const card = summaryFor({}, [order()]);
    assertValidCard(card);
    expect(card.indicator).toBe('info');
    expect(card.source.topic?.code).toBe(VERIFICATION_SUMMARY_CODE);
    expect(card.suggestions).toBeUndefined();
  });

  it('lists every check with passed, fired (rule ID) or not checked and why', () => {
    const card = summaryFor({ anc: 0.5, bilirubin: { value: 1, uln: 1.2 } }, [order()]);
    const detail = card.detail ?? '';
    expect(detail.match(/^- [A-Z0-9_]+ \(/gm)).toHaveLength(17);
    expect(detail).toMatch(/- HEMATOLOGIC_HOLD \(.*\): \*\*fired \(HEMATOLOGIC_HOLD\)\*\*/);
    expect(detail).toMatch(/- RENAL_DOSE_LIMIT \(.*\): \*\*not checked\*\* — no creatinine clearance or eGFR in the last 30 days/);
    expect(detail).toMatch(/- DOSE_ABOVE_MAX \(.*\): passed/);
    expect(detail).toMatch(/- HEPATIC_IMPAIRMENT \(.*\): passed — Bilirubin 1 mg\/dL \(0\.83× ULN\); no coded severe hepatic impairment/);
    expect(card.summary).toBe('Pharmacy check: imatinib 400 mg/day; 1 fired, 13 passed, 3 not checked (details inside).');
  });

  it('says "no ULN on bilirubin result" when the liver check could not run', () => {
    const card = summaryFor({ taking: { mgPerDay: 400 }, bilirubin: { value: 1 } }, [order()]);
    expect(card.detail).toMatch(/HEPATOTOXICITY_HOLD \(.*\): \*\*not checked\*\* — no ULN on bilirubin result/);
  });

  it('shows the daily dose per order with its derivation, and the total', () => {
    const card = summaryFor({}, [order({ id: 'a', mgPerDay: 400 }), order({ id: 'b', mgPerDay: 200 })]);
    expect(card.detail).toContain('- imatinib 400 MG Oral Tablet (MedicationRequest/a): 400 mg/day (400 mg × 1/day)');
    expect(card.detail).toContain('- **Total: 600 mg/day** (400 + 200)');
  });

  it('says when the dose could not be computed and which checks therefore did not run', () => {
    const card = summaryFor({}, [order({ id: 'x', mgPerDay: 'unparseable' })]);
    expect(card.summary).toMatch(/^Pharmacy check: daily dose not computed;/);
    expect(card.detail).toContain('not computed (free-text dosing only)');
    expect(card.detail).toMatch(/DOSE_ABOVE_MAX \(.*\): \*\*not checked\*\* — the daily dose of imatinib 400 MG Oral Tablet \(MedicationRequest\/x\) could not be computed/);
  });

  it('reports silenced and withheld rules', () => {
    const card = summaryFor({ advanced: true, genotype: 'kit-exon9-and-pdgfra-d842v' }, [order()]);
    expect(card.detail).toMatch(/EXON9_HIGH_DOSE \(.*\): not issued — silenced by PDGFRA_D842V_RESISTANT/);
    const withheld = summaryFor({ advanced: true, genotype: 'kit-exon9', egfr: 50 }, [order()]);
    expect(withheld.detail).toMatch(/EXON9_HIGH_DOSE \(.*\): \*\*fired \(EXON9_HIGH_DOSE\)\*\* at info — issued as information without a dose suggestion: eGFR \(used for CrCl\) 50/);
  });

  it('states the patient context the checks used', () => {
    const card = summaryFor({ advanced: true, genotype: 'kit-exon9', taking: { mgPerDay: 400, start: '2025-03-01' } }, [order()]);
    expect(card.detail).toContain('- Setting: advanced (Secondary malignant neoplasm of liver (ICD-10-CM C78.7))');
    expect(card.detail).toContain('- Genotype: KIT exon 9 (KIT exon 9 c.1504_1509dup)');
    expect(card.detail).toContain('- Current imatinib: 400 mg/day since 2025-03-01');
  });

  it('explains that no rule ran without a GIST diagnosis', () => {
    const card = summaryFor({ gist: false }, [order()]);
    expect(card.summary).toBe('Pharmacy check: imatinib 400 mg/day; 0 fired, 0 passed, 17 not checked (details inside).');
    expect(card.detail).toContain('- Diagnosis: no GIST diagnosis on file');
  });
});

describe('paged data read only in part', () => {
  const engine = createClinicalEngine(testConfig().clinical);
  const now = new Date('2026-06-01T12:00:00Z');
  const summaryOf = (truncatedKeys?: string[]) =>
    engine.evaluate({ ...warmUpRequest(now), ...(truncatedKeys ? { truncatedKeys } : {}) }, { serviceTitle: 'Pharmacy', verificationSummary: true }).cards.find((c) => c.source.topic?.code === 'VERIFICATION_SUMMARY');

  it('says which prefetch keys were cut short, so the pharmacist knows what was not checked', () => {
    expect(summaryOf(['labs', 'medicationRequests'])?.detail).toContain('**Data not read in full**\n- Only the first pages of "labs", "medicationRequests" were read');
  });

  it('says nothing about data when every page was read', () => {
    expect(summaryOf()?.detail).not.toContain('Data not read in full');
    expect(summaryOf([])?.detail).not.toContain('Data not read in full');
  });
});
