import { finding, ids, order, outcome, runFor, type FactsOptions, suggested } from '../../../helpers/facts-factory';

const progressingOn400: FactsOptions = { advanced: true, taking: { mgPerDay: 400, start: '2025-03-01' }, progression: { date: '2026-05-01' } };

describe('PROGRESSION_ESCALATE', () => {
  it('suggests 400 mg twice daily on current progression at 400 mg/day', () => {
    const run = runFor(progressingOn400, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['PROGRESSION_ESCALATE']);
    const f = finding(run, 'PROGRESSION_ESCALATE');
    expect(f.indicator).toBe('info');
    expect(f.summary).toBe('Progression on imatinib 400 mg/day: consider 800 mg/day (about 1 in 3 benefit) or switch to sunitinib.');
    expect(suggested(f)).toEqual(expect.objectContaining({ mgPerDay: 800, perAdministrationMg: 400, timesPerDay: 2 }));
    expect(f.facts.map((x) => x.text)).toContain('Current imatinib 400 mg/day since 2025-03-01');
  });

  it('gives no progression card to an order that already escalates to 800 mg/day', () => {
    const run = runFor(progressingOn400, [order({ mgPerDay: 800, timesPerDay: 2 })]);
    expect(ids(run)).toEqual([]);
    expect(outcome(run, 'PROGRESSION_ESCALATE').status).toBe('passed');
    expect(outcome(run, 'PROGRESSION_ON_HIGH_DOSE').status).toBe('passed');
  });

  it('stays silent when the progression is outside the window (no current progression)', () => {
    const run = runFor({ ...progressingOn400, progression: { date: '2025-09-01', current: false } }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual([]);
    expect(outcome(run, 'PROGRESSION_ESCALATE').notes[0]).toMatch(/no current progression on imatinib \(window 180 days\)/);
  });

  it('stays silent when advanced disease is not established', () => {
    expect(ids(runFor({ ...progressingOn400, advanced: false }, [order({ mgPerDay: 400 })]))).toEqual([]);
  });

  it('stays silent without a disease status, and says so', () => {
    const run = runFor({ advanced: true, taking: { mgPerDay: 400 } }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual([]);
    expect(outcome(run, 'PROGRESSION_ESCALATE')).toEqual(expect.objectContaining({ status: 'not-checked', notes: ['no cancer disease status (LOINC 97509-4) on file'] }));
  });

  it('stays silent when the current dose cannot be computed', () => {
    const run = runFor({ ...progressingOn400, taking: { mgPerDay: 'unparseable' } }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual([]);
    expect(outcome(run, 'PROGRESSION_ESCALATE').status).toBe('not-checked');
    expect(outcome(run, 'PROGRESSION_ON_HIGH_DOSE').status).toBe('not-checked');
  });

  it('stays silent when the patient is no longer taking imatinib', () => {
    expect(ids(runFor({ advanced: true, previousStart: '2025-03-01', progression: { date: '2026-05-01' } }, [order({ mgPerDay: 400 })]))).toEqual([]);
  });

  it('fires at a current dose of 600 mg/day and an ordered 600 mg/day', () => {
    expect(ids(runFor({ ...progressingOn400, taking: { mgPerDay: 600 } }, [order({ mgPerDay: 600 })]))).toContain('PROGRESSION_ESCALATE');
  });

  it('is withheld (info, no suggestion, says why) when CrCl is below 60 mL/min', () => {
    const run = runFor({ ...progressingOn400, crcl: 59.9 }, [order({ mgPerDay: 400 })]);
    const f = finding(run, 'PROGRESSION_ESCALATE');
    expect(f.indicator).toBe('info');
    expect(suggested(f)).toBeUndefined();
    expect(f.withheldBecause?.[0]).toMatch(/^CrCl 59\.9 mL\/min on \d{4}-\d{2}-\d{2} is below 60 mL\/min$/);
    expect(outcome(run, 'PROGRESSION_ESCALATE').status).toBe('withheld');
  });
});

describe('PROGRESSION_ON_HIGH_DOSE', () => {
  it('recommends sunitinib on current progression at 800 mg/day', () => {
    const run = runFor({ ...progressingOn400, taking: { mgPerDay: 800 } }, [order({ mgPerDay: 800, timesPerDay: 2 })]);
    expect(ids(run)).toEqual(['PROGRESSION_ON_HIGH_DOSE']);
    const f = finding(run, 'PROGRESSION_ON_HIGH_DOSE');
    expect(f.indicator).toBe('info');
    expect(f.summary).toBe('Progression on imatinib 800 mg/day: guidelines recommend switching to second-line sunitinib.');
    expect(suggested(f)).toBeUndefined();
  });

  it('does not fire at a current dose of 799.999 mg/day', () => {
    expect(ids(runFor({ ...progressingOn400, taking: { mgPerDay: 799.999 } }, [order({ mgPerDay: 400 })]))).not.toContain('PROGRESSION_ON_HIGH_DOSE');
  });

  it('does not fire without current progression', () => {
    expect(ids(runFor({ ...progressingOn400, taking: { mgPerDay: 800 }, progression: { date: '2025-06-01', current: false } }, [order({ mgPerDay: 800, timesPerDay: 2 })]))).toEqual([]);
  });

  it('runs even when the new order is unparseable (it compares the current dose only)', () => {
    const run = runFor({ ...progressingOn400, taking: { mgPerDay: 800 } }, [order({ mgPerDay: 'unparseable' })]);
    expect(ids(run)).toEqual(['PROGRESSION_ON_HIGH_DOSE', 'DOSE_UNPARSEABLE']);
  });
});
