import { createClinicalEngine } from '../../../src/clinical/engine';
import { warmUpRequest } from '../../../src/clinical/warmup';
import { testConfig } from '../../helpers/config';
import { runRules } from '../../../src/clinical/rules/run';
import { verificationSummaryCard, VERIFICATION_SUMMARY_CODE } from '../../../src/clinical/verification';
import { assertValidCard } from '../../helpers/assert-cds';
import { CFG, contextFor, daysAgo, missingKey, order, patientFacts, type FactsOptions } from '../../helpers/facts-factory';
import type { MissingData } from '../../../src/clinical/gaps';
import type { ImatinibOrder } from '../../../src/clinical/types';

function summaryFor(o: FactsOptions, orders: ImatinibOrder[], missing: MissingData[] = []) {
  const ctx = contextFor(patientFacts(o), orders, CFG, missing);
  return verificationSummaryCard({ run: runRules(ctx), ctx, serviceTitle: 'Imatinib for GIST: pharmacy verification', missing });
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
    expect(detail).toMatch(/- HEPATIC_IMPAIRMENT \(.*\): passed — Bilirubin 1 mg\/dL on \d{4}-\d{2}-\d{2}, 0\.833× ULN; no coded severe hepatic impairment/);
    expect(detail).toMatch(/- HEPATOTOXICITY_HOLD \(.*\): not applicable — not taking imatinib/);
    expect(card.summary).toBe('Pharmacy check: imatinib 400 mg/day; 1 fired, 12 passed, 3 not checked, 1 silenced or not applicable (details inside).');
  });

  it('says "no ULN on bilirubin result" when the liver check could not run', () => {
    const card = summaryFor({ taking: { mgPerDay: 400 }, bilirubin: { value: 1 } }, [order()]);
    expect(card.detail).toMatch(/HEPATOTOXICITY_HOLD \(.*\): \*\*not checked\*\* — no ULN on the bilirubin result/);
  });

  it('shows the daily dose per order with its derivation, and the total', () => {
    const card = summaryFor({}, [order({ id: 'a', mgPerDay: 400 }), order({ id: 'b', mgPerDay: 200 })]);
    expect(card.detail).toContain('- imatinib 400 MG Oral Tablet: 400 mg/day (400 mg × 1/day)');
    expect(card.detail).toContain('- **Total: 600 mg/day** (400 mg × 1/day; 200 mg × 1/day; total 400 + 200 = 600 mg/day)');
  });

  it('says when the dose could not be computed and which checks therefore did not run', () => {
    const card = summaryFor({}, [order({ id: 'x', mgPerDay: 'unparseable' })]);
    expect(card.summary).toMatch(/^Pharmacy check: daily dose not computed;/);
    expect(card.detail).toContain('not computed (free-text dosing only)');
    expect(card.detail).toMatch(/DOSE_ABOVE_MAX \(.*\): \*\*not checked\*\* — the daily dose of imatinib 400 MG Oral Tablet could not be computed/);
  });

  it('reports silenced and withheld rules', () => {
    const card = summaryFor({ advanced: true, genotype: 'kit-exon9-and-pdgfra-d842v' }, [order()]);
    expect(card.detail).toMatch(/EXON9_HIGH_DOSE \(.*\): silenced by PDGFRA_D842V_RESISTANT — imatinib-resistant or low-benefit genotype/);
    const withheld = summaryFor({ advanced: true, genotype: 'kit-exon9', egfr: 50 }, [order()]);
    expect(withheld.detail).toMatch(/EXON9_HIGH_DOSE \(.*\): \*\*fired \(EXON9_HIGH_DOSE\)\*\* at info — issued as information without a dose increase: eGFR \(used for CrCl\) 50/);
  });

  it('states the patient context the checks used', () => {
    const card = summaryFor({ advanced: true, genotype: 'kit-exon9', taking: { mgPerDay: 400, start: '2025-03-01' } }, [order()]);
    expect(card.detail).toContain('- Setting: advanced (Secondary malignant neoplasm of liver (ICD-10-CM C78.7))');
    expect(card.detail).toContain('- Genotype: KIT exon 9 (KIT exon 9 c.1504_1509dup)');
    expect(card.detail).toContain('- Current imatinib: 400 mg/day since 2025-03-01');
  });

  it('explains that no rule ran without a GIST diagnosis', () => {
    const card = summaryFor({ gist: false }, [order()]);
    expect(card.summary).toBe('Pharmacy check: No GIST diagnosis on file: the GIST checks were not run.');
    expect(card.detail).toContain('**No GIST diagnosis on file: the GIST checks were not run.**');
    expect(card.detail).toContain('- Diagnosis: no GIST diagnosis on file');
  });
});

describe('1.1 §6 the pharmacy summary: silenced, not applicable, withheld suggestions', () => {
  it('lists HIGH_DOSE_WITHOUT_INDICATION as "not applicable: dose above the maximum", never as passed', () => {
    const detail = summaryFor({}, [order({ mgPerDay: 1200 })]).detail ?? '';
    expect(detail).toMatch(/- HIGH_DOSE_WITHOUT_INDICATION \(.*\): not applicable — dose above the maximum \(replaced by DOSE_ABOVE_MAX\)/);
    expect(detail).not.toMatch(/- HIGH_DOSE_WITHOUT_INDICATION \(.*\): passed/);
  });

  it('lists PROGRESSION_ESCALATE as silenced by PDGFRA_D842V_RESISTANT with the reason', () => {
    const detail = summaryFor({ advanced: true, genotype: 'pdgfra-d842v', taking: { mgPerDay: 400 }, progression: { date: daysAgo(20) } }, [order()]).detail ?? '';
    expect(detail).toMatch(/- PROGRESSION_ESCALATE \(.*\): silenced by PDGFRA_D842V_RESISTANT — imatinib-resistant or low-benefit genotype: more imatinib is not advised/);
  });

  it('names a dose suggestion withheld by §4 with the reason', () => {
    const detail = summaryFor({ anc: 0.8, pregnant: true }, [order({ mgPerDay: 1200 })]).detail ?? '';
    expect(detail).toMatch(/- DOSE_ABOVE_MAX \(.*\): \*\*fired \(DOSE_ABOVE_MAX\)\*\*.* No dose change is suggested: it is withheld while .*HEMATOLOGIC_HOLD.*PREGNANCY/);
    expect(detail).toMatch(/\*\*Dose change withheld:\*\* it is withheld while/);
  });

  it('says where the one dose change is', () => {
    const detail = summaryFor({ crcl: 45, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 1200 })]).detail ?? '';
    expect(detail).toContain('**Dose change offered:** 600 mg once daily, on the DOSE_ABOVE_MAX card.');
  });
});

describe('1.1 §7 the pharmacy summary lists every unchecked rule with the missing key', () => {
  it('names the missing keys and the checks they left unchecked', () => {
    const card = summaryFor({ pregnant: true }, [order()], [missingKey('labs')]);
    const detail = card.detail ?? '';
    expect(detail).toContain('**Data not obtained**\n- labs ("labs"): FHIR server answered HTTP 500: missing, not empty');
    for (const id of ['HEMATOLOGIC_HOLD', 'RENAL_DOSE_LIMIT', 'HEPATIC_IMPAIRMENT']) {
      expect(detail).toMatch(new RegExp(`- ${id} \\(.*\\): \\*\\*not checked\\*\\* \\(data unavailable: labs \\("labs"\\)\\)`));
    }
    expect(detail).toMatch(/- PREGNANCY \(.*\): \*\*fired \(PREGNANCY\)\*\*/);
  });
});

describe('1.1 §2/§5 unidentified records and records used', () => {
  it('lists an unidentified active record, says imatinib may or may not be taken and the interaction checks may be incomplete', () => {
    const detail = summaryFor({ takingUnknown: true }, [order()]).detail ?? '';
    expect(detail).toContain('- Current imatinib: not known whether imatinib is already taken: the imatinib history could not be established');
    expect(detail).toMatch(/\*\*Unidentified medication records\*\*\n- An active medication record could not be identified .*MedicationStatement\/unidentified.*the interaction checks may be incomplete/);
    expect(detail).toMatch(/- CYP3A4_INDUCER \(.*\): passed — .*may be incomplete: an active medication record could not be identified/);
    expect(detail).not.toContain('not currently taking imatinib');
  });

  it('negative: a patient known not to take imatinib is stated as such', () => {
    expect(summaryFor({}, [order()]).detail).toContain('- Current imatinib: not currently taking imatinib');
  });

  it('ends with the records used, by FHIR id (the one place they appear)', () => {
    const detail = summaryFor({ anc: 0.5 }, [order({ id: 'ord-9' })]).detail ?? '';
    const last = detail.split('\n\n').pop() ?? '';
    expect(last).toMatch(/^\*\*Records used:\*\* MedicationRequest\/ord-9, Condition\/gist, .*Observation\/lab-\d+/);
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
