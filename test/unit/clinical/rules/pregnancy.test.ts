import { finding, ids, order, runFor, suggested } from '../../../helpers/facts-factory';

describe('PREGNANCY', () => {
  it('is critical when the patient is documented as pregnant', () => {
    const f = finding(runFor({ pregnant: true }), 'PREGNANCY');
    expect(f.indicator).toBe('critical');
    expect(f.summary).toBe('Imatinib can cause fetal harm and the patient is documented as pregnant: reassess this order.');
    expect(f.facts[0]).toEqual(expect.objectContaining({ text: 'Pregnancy: Pregnancy status: Pregnant', sourceRef: 'Observation/preg' }));
  });

  it('does not fire without documented pregnancy', () => {
    expect(ids(runFor({}))).not.toContain('PREGNANCY');
  });

  it('withholds an exon 9 dose increase (info, no suggestion, says why)', () => {
    const run = runFor({ pregnant: true, advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 400 })]);
    expect(ids(run)).toEqual(['PREGNANCY', 'EXON9_HIGH_DOSE']);
    const f = finding(run, 'EXON9_HIGH_DOSE');
    expect(f.indicator).toBe('info');
    expect(suggested(f)).toBeUndefined();
    expect(f.withheldBecause).toEqual(['Imatinib in pregnancy (PREGNANCY)']);
  });
});
