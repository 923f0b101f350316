import { CFG, finding, ids, missingKey, order, outcome, runFor, suggested } from '../../../helpers/facts-factory';

describe('EXON9_HIGH_DOSE', () => {
  it('suggests 400 mg twice daily for KIT exon 9 advanced GIST on 400 mg daily', () => {
    const run = runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 400 })]);
    const f = finding(run, 'EXON9_HIGH_DOSE');
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('KIT exon 9 GIST: guidelines favour imatinib 800 mg/day (400 mg twice daily) over the ordered 400 mg/day.');
    expect(suggested(f)).toEqual({ mgPerDay: 800, perAdministrationMg: 400, timesPerDay: 2, regimen: '400 mg twice daily', label: '400 mg twice daily (800 mg/day)' });
    expect(f.facts.map((x) => x.text)).toEqual(
      expect.arrayContaining(['KIT exon 9 mutation: KIT exon 9 c.1504_1509dup', 'Ordered dose 400 mg/day']),
    );
  });

  it('fires just below the high dose (799.999 mg/day) and not at it (800 mg/day)', () => {
    expect(ids(runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 799.999 })]))).toContain('EXON9_HIGH_DOSE');
    expect(ids(runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 800, timesPerDay: 2 })]))).not.toContain('EXON9_HIGH_DOSE');
  });

  it('stays silent for KIT exon 9 when the disease is not established as advanced (adjuvant setting)', () => {
    const run = runFor({ advanced: false, genotype: 'kit-exon9' }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).not.toContain('EXON9_HIGH_DOSE');
    expect(outcome(run, 'EXON9_HIGH_DOSE').notes.join(' ')).toMatch(/not established/);
  });

  it('stays silent for advanced GIST with KIT exon 11', () => {
    expect(ids(runFor({ advanced: true, genotype: 'kit-exon11' }, [order({ mgPerDay: 400 })]))).toEqual([]);
  });

  it('is silenced when PDGFRA D842V is also present', () => {
    const run = runFor({ advanced: true, genotype: 'kit-exon9-and-pdgfra-d842v' }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['PDGFRA_D842V_RESISTANT']);
    expect(outcome(run, 'EXON9_HIGH_DOSE')).toEqual(expect.objectContaining({ status: 'silenced' }));
  });

  it('reads the high dose from the configuration', () => {
    const cfg = { ...CFG, highDoseMg: 600 };
    expect(ids(runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 400 })], cfg))).toContain('EXON9_HIGH_DOSE');
    expect(ids(runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 600 })], cfg))).not.toContain('EXON9_HIGH_DOSE');
  });
});

describe('PDGFRA_D842V_RESISTANT', () => {
  it('warns that PDGFRA D842V GIST is imatinib-resistant', () => {
    const f = finding(runFor({ genotype: 'pdgfra-d842v' }), 'PDGFRA_D842V_RESISTANT');
    expect(f.indicator).toBe('warning');
    expect(f.summary).toMatch(/resistant to imatinib; avapritinib is preferred/);
    expect(suggested(f)).toBeUndefined();
  });

  it('does not fire for another PDGFRA mutation or for KIT exon 11', () => {
    expect(ids(runFor({ genotype: 'kit-exon11' }))).not.toContain('PDGFRA_D842V_RESISTANT');
  });

  it('reports "not checked" when only KIT was tested', () => {
    expect(outcome(runFor({ genotype: 'kit-only-tested' }), 'PDGFRA_D842V_RESISTANT')).toEqual(
      expect.objectContaining({ status: 'not-checked', notes: ['no PDGFRA result on file (only KIT was tested)'] }),
    );
  });
});

describe('WT_SDH_NF1_LOW_BENEFIT', () => {
  it('informs that KIT/PDGFRA wild-type GIST rarely responds', () => {
    const f = finding(runFor({ genotype: 'wild-type' }), 'WT_SDH_NF1_LOW_BENEFIT');
    expect(f.indicator).toBe('info');
    expect(f.summary).toMatch(/wild-type .* rarely responds to imatinib/);
  });

  it('fires for documented SDH-deficient GIST', () => {
    expect(ids(runFor({ genotype: 'sdh-deficient' }))).toContain('WT_SDH_NF1_LOW_BENEFIT');
  });

  it('does not call a KIT-only negative test wild-type', () => {
    expect(ids(runFor({ genotype: 'kit-only-tested' }))).not.toContain('WT_SDH_NF1_LOW_BENEFIT');
  });

  it('silences PROGRESSION_ESCALATE and EXON9_HIGH_DOSE', () => {
    const run = runFor({ advanced: true, genotype: 'wild-type', taking: { mgPerDay: 400 }, progression: { date: '2026-05-01' } }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['WT_SDH_NF1_LOW_BENEFIT']);
    expect(outcome(run, 'PROGRESSION_ESCALATE').notes[0]).toMatch(/silenced by WT_SDH_NF1_LOW_BENEFIT/);
  });
});

describe('NO_MUTATION_TEST', () => {
  it('informs when no KIT/PDGFRA result is on file, and no other genotype rule fires', () => {
    const run = runFor({ advanced: true, genotype: 'untested' }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['NO_MUTATION_TEST']);
    expect(finding(run, 'NO_MUTATION_TEST').summary).toBe(
      'No KIT/PDGFRA mutation result on file; mutational analysis guides imatinib dose (exon 9 → 800 mg/day).',
    );
    for (const id of ['EXON9_HIGH_DOSE', 'PDGFRA_D842V_RESISTANT', 'WT_SDH_NF1_LOW_BENEFIT']) {
      expect(outcome(run, id)).toEqual(expect.objectContaining({ status: 'not-checked', notes: ['no KIT/PDGFRA mutation result on file'] }));
    }
  });

  it('does not fire when any KIT/PDGFRA result is on file', () => {
    expect(ids(runFor({ genotype: 'kit-only-tested' }))).not.toContain('NO_MUTATION_TEST');
  });

  it('still lets lab, drug and dose rules run without a mutation result', () => {
    const run = runFor({ genotype: 'untested', anc: 0.5, warfarin: true }, [order({ mgPerDay: 600 })]);
    expect(ids(run)).toEqual(expect.arrayContaining(['NO_MUTATION_TEST', 'HEMATOLOGIC_HOLD', 'WARFARIN', 'HIGH_DOSE_WITHOUT_INDICATION']));
  });
});

describe('1.1 §2 mutation tested: preliminary KIT/PDGFRA results', () => {
  it('NO_MUTATION_TEST says a preliminary result awaits its final report instead of "no result"', () => {
    const run = runFor({ genotype: 'untested', pendingGenotype: ['2026-05-25'] });
    const f = finding(run, 'NO_MUTATION_TEST');
    expect(f.summary).toBe('A preliminary KIT/PDGFRA result of 2026-05-25 awaits its final report; mutational analysis guides dose (exon 9 → 800 mg/day).');
    expect(f.summary.length).toBeLessThan(140);
    expect(f.summary).not.toMatch(/No KIT\/PDGFRA mutation result on file/);
    expect(f.advice.join(' ')).toMatch(/rather than repeating the test/);
  });

  it('a preliminary result is no result for the genotype rules (no EXON9, no D842V)', () => {
    const run = runFor({ advanced: true, genotype: 'untested', pendingGenotype: ['2026-05-25'] }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['NO_MUTATION_TEST']);
    expect(outcome(run, 'EXON9_HIGH_DOSE').notes[0]).toMatch(/^no KIT\/PDGFRA mutation result on file: preliminary KIT result reported 2026-05-25/);
  });

  it('negative: without a pending result the summary still says no result is on file', () => {
    expect(finding(runFor({ genotype: 'untested' }), 'NO_MUTATION_TEST').summary).toMatch(/^No KIT\/PDGFRA mutation result on file/);
  });
});

describe('1.1 §7 missing genomics data', () => {
  it('never fires NO_MUTATION_TEST when the genomics key is missing, and lists it as not checked', () => {
    const run = runFor({ genotype: 'untested' }, [order()], CFG, [missingKey('genomics')]);
    expect(ids(run)).not.toContain('NO_MUTATION_TEST');
    expect(outcome(run, 'NO_MUTATION_TEST')).toEqual(expect.objectContaining({ status: 'not-checked', cause: 'unavailable', keys: ['genomics'] }));
  });

  it('lists EXON9_HIGH_DOSE and PDGFRA_D842V_RESISTANT as not checked (data unavailable)', () => {
    const run = runFor({ advanced: true, genotype: 'untested' }, [order({ mgPerDay: 400 })], CFG, [missingKey('genomics')]);
    expect(outcome(run, 'EXON9_HIGH_DOSE')).toEqual(expect.objectContaining({ status: 'not-checked', cause: 'unavailable' }));
    expect(outcome(run, 'PDGFRA_D842V_RESISTANT').status).toBe('not-checked');
  });
});
