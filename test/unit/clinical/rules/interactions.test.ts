import { finding, ids, runFor } from '../../../helpers/facts-factory';

describe('CYP3A4_INDUCER', () => {
  it('warns about an active strong CYP3A4 inducer, by name', () => {
    const f = finding(runFor({ inducers: ['rifampin'] }), 'CYP3A4_INDUCER');
    expect(f.indicator).toBe('warning');
    expect(f.summary).toBe('A strong CYP3A4 inducer (rifampin) cut imatinib exposure by about 74%; avoid the combination.');
  });

  describe('1.1 §4 per-drug inducer figures', () => {
    it.each([
      ['rifampin', '74'],
      ['carbamazepine', '73'],
      ['phenytoin', '73'],
      ['phenobarbital', '73'],
      ["St John's wort", '30–32'],
    ])('quotes the measured figure for %s (%s%)', (drug, figure) => {
      expect(finding(runFor({ inducers: [drug] }), 'CYP3A4_INDUCER').summary).toBe(`A strong CYP3A4 inducer (${drug}) cut imatinib exposure by about ${figure}%; avoid the combination.`);
    });

    it.each(['rifabutin', 'dexamethasone'])('gives no figure for %s, which has none measured', (drug) => {
      const f = finding(runFor({ inducers: [drug] }), 'CYP3A4_INDUCER');
      expect(f.summary).toBe(`A strong CYP3A4 inducer (${drug}) can markedly lower imatinib exposure; avoid the combination.`);
      expect(f.summary).not.toMatch(/%/);
    });

    it('never says 70% for St John\'s wort', () => {
      const f = finding(runFor({ inducers: ["St John's wort"] }), 'CYP3A4_INDUCER');
      expect(`${f.summary} ${f.advice.join(' ')}`).not.toMatch(/70%/);
    });

    it('names several inducers in the summary and gives each figure on its own line in the detail', () => {
      const f = finding(runFor({ inducers: ['rifampin', "St John's wort", 'dexamethasone'] }), 'CYP3A4_INDUCER');
      expect(f.summary).toBe("Strong CYP3A4 inducers (rifampin, St John's wort, dexamethasone) lower imatinib exposure; avoid the combination.");
      const advice = f.advice.join('\n');
      expect(advice).toMatch(/\n- rifampin: cut imatinib exposure \(AUC\) by about 74%/);
      expect(advice).toMatch(/\n- St John's wort: cut imatinib exposure \(AUC\) by about 30–32%/);
      expect(advice).toMatch(/\n- dexamethasone: no measured figure/);
    });
  });

  it('mentions the unverified dose increase only as older US labelling', () => {
    const f = finding(runFor({ inducers: ['phenytoin'] }), 'CYP3A4_INDUCER');
    expect(f.advice.join(' ')).toMatch(/at least 50% .*\(per older US labelling; confirm locally\)/);
  });

  it('keeps the summary under 140 characters with many inducers', () => {
    const f = finding(runFor({ inducers: ['rifampin', 'carbamazepine', 'phenytoin', 'phenobarbital', 'dexamethasone', "St John's wort"] }), 'CYP3A4_INDUCER');
    expect(f.summary.length).toBeLessThan(140);
    expect(f.summary).toBe("Strong CYP3A4 inducers (rifampin, carbamazepine, phenytoin, phenobarbital, dexamethasone, St John's wort) lower imatinib exposure; avoid the combination.".length < 140 ? "Strong CYP3A4 inducers (rifampin, carbamazepine, phenytoin, phenobarbital, dexamethasone, St John's wort) lower imatinib exposure; avoid the combination." : 'Strong CYP3A4 inducers (rifampin and 5 more) lower imatinib exposure; avoid the combination.');
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
