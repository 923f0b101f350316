import { PRECEDENCE, describePrecedence } from '../../../../src/clinical/rules/precedence';
import { RULE_IDS } from '../../../../src/clinical/rules/types';
import { CFG, finding, ids, missingKey, order, outcome, runFor, suggested } from '../../../helpers/facts-factory';

describe('precedence table', () => {
  it('names only rules that exist', () => {
    const named = [
      ...PRECEDENCE.replaces.flatMap((r) => [r.winner, r.loser]),
      ...PRECEDENCE.silences.flatMap((s) => [...s.by, ...s.silenced]),
      ...PRECEDENCE.withholdIncreases.increases,
      ...PRECEDENCE.withholdIncreases.byRules,
      ...PRECEDENCE.withholdDoseChanges.byRules,
      PRECEDENCE.doseCaps.hepatic.rule,
    ];
    for (const id of named) expect(RULE_IDS).toContain(id);
  });

  it('is described in words with the configured numbers (catalogue, README)', () => {
    const words = describePrecedence({ ...CFG, renal: { ...CFG.renal, mildBelow: 55 } }).join('\n');
    expect(words).toMatch(/DOSE_ABOVE_MAX replaces HIGH_DOSE_WITHOUT_INDICATION/);
    expect(words).toMatch(/below 55 mL\/min/);
  });
});

describe('replaces: DOSE_ABOVE_MAX replaces HIGH_DOSE_WITHOUT_INDICATION', () => {
  it('issues only DOSE_ABOVE_MAX for 1200 mg/day without an indication', () => {
    const run = runFor({}, [order({ mgPerDay: 1200 })]);
    expect(ids(run)).toEqual(['DOSE_ABOVE_MAX']);
  });

  it('1.1 §6: lists HIGH_DOSE_WITHOUT_INDICATION as "not applicable: dose above the maximum", never as passed', () => {
    const run = runFor({}, [order({ mgPerDay: 1200 })]);
    expect(outcome(run, 'HIGH_DOSE_WITHOUT_INDICATION')).toEqual(
      expect.objectContaining({ status: 'not-applicable', by: 'DOSE_ABOVE_MAX', notes: ['dose above the maximum (replaced by DOSE_ABOVE_MAX)'] }),
    );
  });

  it('negative: at 600 mg/day HIGH_DOSE_WITHOUT_INDICATION fires on its own', () => {
    const run = runFor({}, [order({ mgPerDay: 600 })]);
    expect(ids(run)).toEqual(['HIGH_DOSE_WITHOUT_INDICATION']);
    expect(outcome(run, 'DOSE_ABOVE_MAX').status).toBe('passed');
  });
});

describe('silences: resistant and low-benefit genotypes silence dose increases', () => {
  it('lets PDGFRA D842V silence PROGRESSION_ESCALATE, listed as "silenced by" with the reason', () => {
    const run = runFor({ advanced: true, genotype: 'pdgfra-d842v', taking: { mgPerDay: 400 }, progression: { date: '2026-05-01' } }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['PDGFRA_D842V_RESISTANT']);
    expect(outcome(run, 'PROGRESSION_ESCALATE')).toEqual(
      expect.objectContaining({ status: 'silenced', by: 'PDGFRA_D842V_RESISTANT', notes: ['silenced by PDGFRA_D842V_RESISTANT: imatinib-resistant or low-benefit genotype: more imatinib is not advised'] }),
    );
  });

  it('lets a wild-type genotype silence PROGRESSION_ESCALATE', () => {
    const run = runFor({ advanced: true, genotype: 'wild-type', taking: { mgPerDay: 400 }, progression: { date: '2026-05-01' } }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['WT_SDH_NF1_LOW_BENEFIT']);
    expect(outcome(run, 'PROGRESSION_ESCALATE').by).toBe('WT_SDH_NF1_LOW_BENEFIT');
  });

  it('negative: a rule that did not fire is not "silenced"', () => {
    const run = runFor({ genotype: 'pdgfra-d842v' }, [order({ mgPerDay: 400 })]);
    expect(outcome(run, 'EXON9_HIGH_DOSE').status).not.toBe('silenced');
  });
});

describe('withholdIncreases: dose increases are withheld when more imatinib is unsafe', () => {
  const exon9 = { advanced: true, genotype: 'kit-exon9' } as const;

  it.each([
    ['ANC below the hold threshold', { anc: 0.5 }, 'Neutropenia or thrombocytopenia: hold imatinib (HEMATOLOGIC_HOLD)'],
    ['hepatotoxicity on current therapy', { taking: { mgPerDay: 400 }, alt: { value: 300, uln: 40 } }, 'Hepatotoxicity on imatinib: withhold, then reduce (HEPATOTOXICITY_HOLD)'],
    ['severe hepatic impairment', { severeHepaticImpairment: true }, 'Severe hepatic impairment: lower imatinib dose (HEPATIC_IMPAIRMENT)'],
    ['pregnancy', { pregnant: true }, 'Imatinib in pregnancy (PREGNANCY)'],
    ['eGFR 59 used for CrCl', { egfr: 59 }, 'eGFR (used for CrCl) 59 mL/min/1.73 m² on'],
    ['eGFR >50 (may be below 60)', { egfr: { value: 50, comparator: '>' as const } }, 'kidney function could not be checked against 60 mL/min (eGFR >50 mL/min/1.73 m² may be above or below 60'],
  ])('for %s: info, no dose change, saying why', (_name, extra, reason) => {
    const run = runFor({ ...exon9, ...extra }, [order({ mgPerDay: 400 })]);
    const f = finding(run, 'EXON9_HIGH_DOSE');
    expect(f.indicator).toBe('info');
    expect(suggested(f)).toBeUndefined();
    expect(f.withheldBecause?.join(' | ')).toContain(reason);
    expect(outcome(run, 'EXON9_HIGH_DOSE').status).toBe('withheld');
  });

  it('1.1 §7: while the labs (renal and hold checks) could not be obtained, and says so', () => {
    const f = finding(runFor(exon9, [order({ mgPerDay: 400 })], CFG, [missingKey('labs')]), 'EXON9_HIGH_DOSE');
    expect(f.indicator).toBe('info');
    expect(suggested(f)).toBeUndefined();
    expect(f.withheldBecause?.join(' ')).toMatch(/no data from the EHR for labs/);
    expect(f.withheldBecause?.join(' ')).toMatch(/HEMATOLOGIC_HOLD could not be checked/);
  });

  it('negative: not at CrCl 60 mL/min with every check passed', () => {
    const f = finding(runFor({ ...exon9, crcl: 60, anc: 3, platelets: 200 }, [order({ mgPerDay: 400 })]), 'EXON9_HIGH_DOSE');
    expect(f.indicator).toBe('warning');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 800 }));
    expect(f.withheldBecause).toBeUndefined();
  });

  it('negative: labs simply absent from the window do not withhold the increase (as in 1.0)', () => {
    expect(suggested(finding(runFor(exon9, [order({ mgPerDay: 400 })]), 'EXON9_HIGH_DOSE'))).toBeDefined();
  });

  it('lists every reason', () => {
    const f = finding(runFor({ ...exon9, crcl: 30, anc: 0.4, pregnant: true }, [order({ mgPerDay: 400 })]), 'EXON9_HIGH_DOSE');
    expect(f.withheldBecause).toHaveLength(3);
  });
});

describe('cards are ordered critical, then warning, then info, then by rule order', () => {
  it('orders a mixed request', () => {
    const run = runFor({ genotype: 'untested', warfarin: true, pregnant: true, inducers: ['rifampin'] }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['PREGNANCY', 'CYP3A4_INDUCER', 'WARFARIN', 'NO_MUTATION_TEST']);
  });

  it('names every evaluated order on one card per rule', () => {
    const run = runFor({ warfarin: true }, [order({ id: 'a' }), order({ id: 'b', mgPerDay: 200 })]);
    expect(run.findings.filter((f) => f.ruleId === 'WARFARIN')).toHaveLength(1);
    expect(finding(run, 'WARFARIN').orders.map((o) => o.reference)).toEqual(['MedicationRequest/a', 'MedicationRequest/b']);
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
