import { CFG, finding, ids, order, outcome, runFor, suggested } from '../../../helpers/facts-factory';

const CFG_HALF = { ...CFG, hepatic: { ...CFG.hepatic, impairmentDoseFactor: 0.5 } };

const taking = { taking: { mgPerDay: 400 } } as const;

describe('HEPATOTOXICITY_HOLD', () => {
  it('withholds imatinib for bilirubin 3.01 × ULN in a patient already taking it', () => {
    const f = finding(runFor({ ...taking, bilirubin: { value: 3.01, uln: 1 } }), 'HEPATOTOXICITY_HOLD');
    expect(f.indicator).toBe('critical');
    expect(f.summary).toBe('Bilirubin 3.01× ULN: withhold imatinib until bilirubin < 1.5× and ALT/AST < 2.5× ULN, then reduce the dose.');
    expect(f.facts[0]?.text).toBe('Bilirubin 3.01 mg/dL = 3.01× ULN (ULN 1 mg/dL; threshold 3×)');
  });

  it('does not fire for bilirubin exactly 3.0 × ULN, including floating-point noise (3.6 / 1.2)', () => {
    expect(ids(runFor({ ...taking, bilirubin: { value: 3, uln: 1 } }))).not.toContain('HEPATOTOXICITY_HOLD');
    expect(ids(runFor({ ...taking, bilirubin: { value: 3.6, uln: 1.2 } }))).not.toContain('HEPATOTOXICITY_HOLD');
  });

  it('withholds for ALT 5.01 × ULN but not 5.0 × ULN', () => {
    expect(ids(runFor({ ...taking, alt: { value: 200.4, uln: 40 } }))).toContain('HEPATOTOXICITY_HOLD');
    expect(ids(runFor({ ...taking, alt: { value: 200, uln: 40 } }))).not.toContain('HEPATOTOXICITY_HOLD');
  });

  it('withholds for AST above 5 × ULN', () => {
    expect(finding(runFor({ ...taking, ast: { value: 250, uln: 40 } }), 'HEPATOTOXICITY_HOLD').summary).toMatch(/^AST 6\.25× ULN/);
  });

  it.each([
    [400, '400 mg/day → 300 mg/day'],
    [600, '600 mg/day → 400 mg/day'],
    [800, '800 mg/day → 600 mg/day'],
  ])('names the reduced dose for %i mg/day', (mg, text) => {
    const f = finding(runFor({ taking: { mgPerDay: mg }, alt: { value: 300, uln: 40 }, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: mg, timesPerDay: mg === 800 ? 2 : 1 })]), 'HEPATOTOXICITY_HOLD');
    expect(f.advice[0]).toContain(text);
    expect(suggested(f)).toBeUndefined();
  });

  it('gives the label steps when the dose has no listed reduction', () => {
    const f = finding(runFor({ taking: { mgPerDay: 300 }, alt: { value: 300, uln: 40 } }, [order({ mgPerDay: 300 })]), 'HEPATOTOXICITY_HOLD');
    expect(f.advice[0]).toContain('(label steps: 400 → 300, 600 → 400, 800 → 600 mg/day)');
  });

  it('does not run a liver check on a result without a ULN, and says so', () => {
    const run = runFor({ ...taking, bilirubin: { value: 10 } });
    expect(ids(run)).toEqual([]);
    expect(outcome(run, 'HEPATOTOXICITY_HOLD')).toEqual(
      expect.objectContaining({ status: 'not-checked', notes: ['no ULN on the bilirubin result (Bilirubin 10 mg/dL); no ALT in the last 30 days; no AST in the last 30 days'] }),
    );
  });
});

describe('HEPATIC_IMPAIRMENT', () => {
  it('suggests 75% of the dose (300 mg/day for 400) for bilirubin > 3 × ULN before starting imatinib', () => {
    const run = runFor({ bilirubin: { value: 3.5, uln: 1 } }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['HEPATIC_IMPAIRMENT']);
    const f = finding(run, 'HEPATIC_IMPAIRMENT');
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('Severe hepatic impairment: the label advises a 25% lower imatinib dose (e.g. 300 mg/day for 400 mg).');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 300, perAdministrationMg: 300, timesPerDay: 1 }));
  });

  it('suggests 600 mg once daily for an ordered 800 mg/day', () => {
    const f = finding(runFor({ severeHepaticImpairment: true, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 800, timesPerDay: 2 })]), 'HEPATIC_IMPAIRMENT');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 600, timesPerDay: 1 }));
  });

  it('fires for coded severe hepatic impairment without labs', () => {
    expect(ids(runFor({ severeHepaticImpairment: true }))).toEqual(['HEPATIC_IMPAIRMENT']);
  });

  it('does not fire for bilirubin exactly 3 × ULN', () => {
    expect(ids(runFor({ bilirubin: { value: 3, uln: 1 } }))).toEqual([]);
  });

  it('never fires together with HEPATOTOXICITY_HOLD: a patient already taking imatinib gets the hold', () => {
    const run = runFor({ ...taking, bilirubin: { value: 4, uln: 1 }, severeHepaticImpairment: true });
    expect(ids(run)).toEqual(['HEPATOTOXICITY_HOLD']);
    expect(outcome(run, 'HEPATIC_IMPAIRMENT').notes).toEqual(['already taking imatinib (HEPATOTOXICITY_HOLD covers liver values on therapy)']);
    expect(outcome(run, 'HEPATIC_IMPAIRMENT').status).toBe('not-applicable');
  });

  it('does not count ALT alone as severe impairment before starting', () => {
    expect(ids(runFor({ alt: { value: 400, uln: 40 } }))).toEqual([]);
  });

  it('fires without a suggestion when the ordered dose cannot be computed', () => {
    const f = finding(runFor({ severeHepaticImpairment: true }, [order({ mgPerDay: 'unparseable' })]), 'HEPATIC_IMPAIRMENT');
    expect(suggested(f)).toBeUndefined();
    expect(f.advice.join(' ')).toMatch(/could not be computed, so no reduced dose is suggested/);
  });

  it('reads the reduction factor from the configuration', () => {
    const f = finding(runFor({ severeHepaticImpairment: true }, [order({ mgPerDay: 400 })], CFG_HALF), 'HEPATIC_IMPAIRMENT');
    expect(f.summary).toMatch(/a 50% lower imatinib dose \(e\.g\. 200 mg\/day for 400 mg\)/);
  });
});

describe('1.1 §2 imatinib history: "already taking" not known (an unidentified record)', () => {
  const unknownTaking = { takingUnknown: true } as const;

  it('fires HEPATOTOXICITY_HOLD, never HEPATIC_IMPAIRMENT, for bilirubin 3.3× and AST 6.5× ULN, and says the history could not be established', () => {
    const run = runFor({ ...unknownTaking, bilirubin: { value: 3.3, uln: 1 }, ast: { value: 260, uln: 40 } });
    expect(ids(run)).toEqual(['HEPATOTOXICITY_HOLD']);
    const f = finding(run, 'HEPATOTOXICITY_HOLD');
    expect(f.facts.map((x) => x.text)).toContain(
      'Imatinib history could not be established (an active medication record whose medication could not be identified): withholding is safe either way',
    );
    expect(outcome(run, 'HEPATIC_IMPAIRMENT')).toEqual(expect.objectContaining({ status: 'not-checked', cause: 'unidentified' }));
  });

  it('does not give HEPATIC_IMPAIRMENT for coded severe impairment either, and lists it as not checked', () => {
    const run = runFor({ ...unknownTaking, severeHepaticImpairment: true });
    expect(ids(run)).toEqual([]);
    expect(outcome(run, 'HEPATIC_IMPAIRMENT').status).toBe('not-checked');
  });

  it('passes both when the liver values are normal', () => {
    const run = runFor({ ...unknownTaking, bilirubin: { value: 0.8, uln: 1.2 }, alt: { value: 30, uln: 40 } });
    expect(outcome(run, 'HEPATOTOXICITY_HOLD').status).toBe('passed');
    expect(outcome(run, 'HEPATIC_IMPAIRMENT').status).toBe('passed');
  });

  it('negative: a patient known not to be taking imatinib gets HEPATIC_IMPAIRMENT, not the hold', () => {
    expect(ids(runFor({ bilirubin: { value: 3.3, uln: 1 }, ast: { value: 260, uln: 40 } }))).toEqual(['HEPATIC_IMPAIRMENT']);
  });
});

describe('1.1 §4 hepatic reduction rounded down to a whole 100 mg', () => {
  it.each([
    [400, 300],
    [600, 400],
    [800, 600],
    [300, 200],
  ])('reduces %i mg/day to %i mg/day (never a dose no tablet makes)', (from, to) => {
    const run = runFor({ severeHepaticImpairment: true, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: from, timesPerDay: from === 800 ? 2 : 1 })]);
    expect(suggested(finding(run, 'HEPATIC_IMPAIRMENT'))).toEqual(expect.objectContaining({ mgPerDay: to }));
  });

  it('suggests nothing when the reduction is below the smallest tablet (100 mg/day ordered)', () => {
    const f = finding(runFor({ severeHepaticImpairment: true }, [order({ mgPerDay: 100 })]), 'HEPATIC_IMPAIRMENT');
    expect(suggested(f)).toBeUndefined();
    expect(f.doseNote).toMatch(/below the smallest tablet/);
  });
});

describe('1.1 §2 labs: liver values with a comparator', () => {
  it('holds for bilirubin >4 mg/dL with ULN 1 (every allowed value is above 3× ULN)', () => {
    expect(finding(runFor({ ...taking, bilirubin: { value: 4, uln: 1, comparator: '>' } }), 'HEPATOTOXICITY_HOLD').summary).toMatch(/^Bilirubin >4× ULN/);
  });

  it('is not checked for bilirubin >2 mg/dL with ULN 1 (may be above or below 3× ULN)', () => {
    const run = runFor({ ...taking, bilirubin: { value: 2, uln: 1, comparator: '>' } });
    expect(ids(run)).toEqual([]);
    expect(outcome(run, 'HEPATOTOXICITY_HOLD')).toEqual(expect.objectContaining({ status: 'not-checked', cause: 'ambiguous' }));
  });

  it('passes for ALT <40 U/L with ULN 40', () => {
    expect(outcome(runFor({ ...taking, alt: { value: 40, uln: 40, comparator: '<' } }), 'HEPATOTOXICITY_HOLD').status).toBe('passed');
  });
});
