import { finding, ids, runFor } from '../../../helpers/facts-factory';

describe('CYP3A4_INDUCER', () => {
  it('warns about an active strong CYP3A4 inducer, by name', () => {
    const f = finding(runFor({ inducers: ['rifampin'] }), 'CYP3A4_INDUCER');
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('A strong CYP3A4 inducer (rifampin) can cut imatinib exposure by about 70%; avoid the combination.');
  });

  it('mentions the unverified dose increase only as older US labelling', () => {
    const f = finding(runFor({ inducers: ['phenytoin'] }), 'CYP3A4_INDUCER');
    expect(f.advice.join(' ')).toMatch(/at least 50% .*\(per older US labelling; confirm locally\)/);
  });

  it('keeps the summary under 140 characters with many inducers', () => {
    const f = finding(runFor({ inducers: ['rifampin', 'carbamazepine', 'phenytoin', 'phenobarbital', 'dexamethasone', "St John's wort"] }), 'CYP3A4_INDUCER');
    expect(f.summary.length).toBeLessThan(140);
    expect(f.summary).toMatch(/\(rifampin and 5 more\)/);
  });

  it('does not fire without an active inducer', () => {
    expect(ids(runFor({}))).not.toContain('CYP3A4_INDUCER');
  });
});

describe('CYP3A4_INHIBITOR', () => {
  it('warns about an active strong CYP3A4 inhibitor, by name', () => {
    const f = finding(runFor({ inhibitors: ['ketoconazole', 'ritonavir'] }), 'CYP3A4_INHIBITOR');
    expect(f.summary).toBe('A strong CYP3A4 inhibitor (ketoconazole, ritonavir) raises imatinib levels; use caution and monitor for toxicity.');
    expect(f.facts).toHaveLength(2);
  });

  it('does not fire without an active inhibitor', () => {
    expect(ids(runFor({ inducers: ['rifampin'] }))).not.toContain('CYP3A4_INHIBITOR');
  });
});

describe('WARFARIN', () => {
  it('warns about active warfarin and mentions heparin only as older US labelling', () => {
    const f = finding(runFor({ warfarin: true }), 'WARFARIN');
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('Imatinib may raise warfarin levels; monitor INR closely or consider an alternative anticoagulant.');
    expect(f.advice.join(' ')).toMatch(/heparin instead of warfarin is advised per older US labelling; confirm locally/);
  });

  it('does not fire without active warfarin', () => {
    expect(ids(runFor({ inhibitors: ['ketoconazole'] }))).not.toContain('WARFARIN');
  });
});
