import { applyPrecedence } from '../../../../src/clinical/rules/precedence';
import type { Finding } from '../../../../src/clinical/rules/types';
import { contextFor, finding, ids, order, outcome, patientFacts, runFor } from '../../../helpers/facts-factory';

function bare(ruleId: Finding['ruleId'], indicator: Finding['indicator'], extra: Partial<Finding> = {}): Finding {
  return { ruleId, indicator, summary: ruleId, facts: [{ text: `${ruleId} fact` }], advice: ['advice'], orders: [order({ id: `o-${ruleId}` })], ...extra };
}

describe('precedence', () => {
  const ctx = contextFor(patientFacts({}));

  it('lets DOSE_ABOVE_MAX replace HIGH_DOSE_WITHOUT_INDICATION', () => {
    const r = applyPrecedence([bare('HIGH_DOSE_WITHOUT_INDICATION', 'warning'), bare('DOSE_ABOVE_MAX', 'critical')], ctx);
    expect(r.findings.map((f) => f.ruleId)).toEqual(['DOSE_ABOVE_MAX']);
    expect(r.suppressed).toEqual([expect.objectContaining({ ruleId: 'HIGH_DOSE_WITHOUT_INDICATION', by: 'DOSE_ABOVE_MAX' })]);
  });

  it('never issues HEPATOTOXICITY_HOLD and HEPATIC_IMPAIRMENT together (the hold wins)', () => {
    const r = applyPrecedence([bare('HEPATIC_IMPAIRMENT', 'warning'), bare('HEPATOTOXICITY_HOLD', 'critical')], ctx);
    expect(r.findings.map((f) => f.ruleId)).toEqual(['HEPATOTOXICITY_HOLD']);
  });

  it('merges findings of the same rule into one, naming every order', () => {
    const a = bare('WARFARIN', 'warning', { orders: [order({ id: 'a' })], facts: [{ text: 'warfarin' }] });
    const b = bare('WARFARIN', 'warning', { orders: [order({ id: 'b' })], facts: [{ text: 'warfarin' }] });
    const r = applyPrecedence([a, b], ctx);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]?.orders.map((o) => o.reference)).toEqual(['MedicationRequest/a', 'MedicationRequest/b']);
    expect(r.findings[0]?.facts).toEqual([{ text: 'warfarin' }]);
  });

  it('orders cards critical, then warning, then info, then by rule order', () => {
    const r = applyPrecedence([bare('NO_MUTATION_TEST', 'info'), bare('WARFARIN', 'warning'), bare('PREGNANCY', 'critical'), bare('CYP3A4_INDUCER', 'warning')], ctx);
    expect(r.findings.map((f) => f.ruleId)).toEqual(['PREGNANCY', 'CYP3A4_INDUCER', 'WARFARIN', 'NO_MUTATION_TEST']);
  });

  it('lets PDGFRA D842V silence PROGRESSION_ESCALATE', () => {
    const run = runFor({ advanced: true, genotype: 'pdgfra-d842v', taking: { mgPerDay: 400 }, progression: { date: '2026-05-01' } }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['PDGFRA_D842V_RESISTANT']);
    expect(outcome(run, 'PROGRESSION_ESCALATE')).toEqual(expect.objectContaining({ status: 'suppressed' }));
  });

  describe('withholds dose increases when more imatinib is unsafe', () => {
    const exon9 = { advanced: true, genotype: 'kit-exon9' } as const;

    it.each([
      ['ANC below the hold threshold', { anc: 0.5 }, 'Neutropenia or thrombocytopenia: hold imatinib (HEMATOLOGIC_HOLD)'],
      ['hepatotoxicity on current therapy', { taking: { mgPerDay: 400 }, alt: { value: 300, uln: 40 } }, 'Hepatotoxicity on imatinib: withhold, then reduce (HEPATOTOXICITY_HOLD)'],
      ['severe hepatic impairment', { severeHepaticImpairment: true }, 'Severe hepatic impairment: lower imatinib dose (HEPATIC_IMPAIRMENT)'],
      ['eGFR 59 used for CrCl', { egfr: 59 }, 'eGFR (used for CrCl) 59 mL/min/1.73 m² on'],
    ])('for %s', (_name, extra, reason) => {
      const run = runFor({ ...exon9, ...extra }, [order({ mgPerDay: 400 })]);
      const f = finding(run, 'EXON9_HIGH_DOSE');
      expect(f.indicator).toBe('info');
      expect(f.doseTargets).toBeUndefined();
      expect(f.withheldBecause?.[0]).toContain(reason);
    });

    it('but not at CrCl 60 mL/min', () => {
      const f = finding(runFor({ ...exon9, crcl: 60 }, [order({ mgPerDay: 400 })]), 'EXON9_HIGH_DOSE');
      expect(f.indicator).toBe('warning');
      expect(f.doseTargets).toHaveLength(1);
      expect(f.withheldBecause).toBeUndefined();
    });

    it('lists every reason', () => {
      const f = finding(runFor({ ...exon9, crcl: 30, anc: 0.4, pregnant: true }, [order({ mgPerDay: 400 })]), 'EXON9_HIGH_DOSE');
      expect(f.withheldBecause).toHaveLength(3);
    });
  });

  it('does not withhold dose decreases (RENAL_DOSE_LIMIT and HIGH_DOSE_WITHOUT_INDICATION keep their suggestions)', () => {
    const run = runFor({ crcl: 30, anc: 0.5 }, [order({ mgPerDay: 600 })]);
    expect(finding(run, 'RENAL_DOSE_LIMIT').doseTargets).toHaveLength(1);
    expect(finding(run, 'HIGH_DOSE_WITHOUT_INDICATION').doseTargets).toHaveLength(1);
  });
});

describe('GIST gating', () => {
  it('fires no rule without a GIST diagnosis, and says why for every check', () => {
    const run = runFor({ gist: false, anc: 0.3, pregnant: true, warfarin: true, genotype: 'untested' }, [order({ mgPerDay: 1200 })]);
    expect(run.findings).toEqual([]);
    expect(run.outcomes).toHaveLength(17);
    for (const o of run.outcomes) expect(o).toEqual(expect.objectContaining({ status: 'not-checked', notes: [expect.stringMatching(/^no GIST diagnosis on file/)] }));
  });

  it('fires nothing for the quiet default patient on 400 mg/day', () => {
    const run = runFor({}, [order({ mgPerDay: 400 })]);
    expect(run.findings).toEqual([]);
    expect(run.outcomes.filter((o) => o.status === 'passed').length).toBeGreaterThan(10);
  });
});
