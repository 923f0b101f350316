import type { Dosage } from 'fhir/r4';
import { dailyDose, totalDose, type ProductStrength } from '../../../src/clinical/dose';
import { dosage } from '../../helpers/fhir-builders';

const TAB400: ProductStrength = { mg: 400, per: 'unit', form: 'tablet', source: 'RxNorm 403879' };
const TAB100: ProductStrength = { mg: 100, per: 'unit', form: 'tablet', source: 'RxNorm 403878' };

function mg(result: ReturnType<typeof dailyDose>): number | string {
  return result.kind === 'computed' ? result.mgPerDay : `unparseable: ${result.reason}`;
}

describe('dailyDose: dose quantity', () => {
  it('reads 400 mg twice daily from timing.repeat as 800 mg/day', () => {
    const r = dailyDose([dosage({ mg: 400, frequency: 2 })]);
    expect(r).toEqual({ kind: 'computed', mgPerDay: 800, derivation: '400 mg × 2/day (2× per day) = 800 mg/day' });
  });

  it('converts grams to mg (0.4 g every 12 hours = 800 mg/day) and says so', () => {
    const r = dailyDose([dosage({ g: 0.4, frequency: 1, period: 12, periodUnit: 'h' })]);
    expect(mg(r)).toBe(800);
    expect(r.kind === 'computed' && r.derivation).toBe('0.4 g (400 mg) × 2/day (every 12 hours) = 800 mg/day');
  });

  it('multiplies a tablet count by the product strength', () => {
    const r = dailyDose([dosage({ tablets: 4, frequency: 2 })], TAB100);
    expect(r).toEqual({ kind: 'computed', mgPerDay: 800, derivation: '4 × 100 mg tablet × 2/day (2× per day) = 800 mg/day' });
  });

  it.each([
    ['{pill}', undefined],
    ['{tbl}', undefined],
    ['{tablet}', undefined],
    [undefined, 'TAB'],
    [undefined, 'tablet(s)'],
    [undefined, 'Tablets'],
    [undefined, 'capsule'],
    ['{capsule}', undefined],
    [undefined, 'CAP'],
  ])('counts tablets/capsules given as code %s / unit text %s', (code, unit) => {
    const d = dosage({ quantity: { value: 1, ...(code ? { code, system: 'http://unitsofmeasure.org' } : {}), ...(unit ? { unit } : {}) }, frequency: 1 });
    expect(mg(dailyDose([d], TAB400))).toBe(400);
  });

  it('accepts mg as unit text in any case without a UCUM code', () => {
    expect(mg(dailyDose([dosage({ quantity: { value: 400, unit: 'MG' }, frequency: 1 })]))).toBe(400);
    expect(mg(dailyDose([dosage({ quantity: { value: 400, unit: 'mg' }, frequency: 1 })]))).toBe(400);
  });

  it('reads the STU3 shape (doseQuantity directly on the Dosage)', () => {
    expect(mg(dailyDose([dosage({ mg: 400, frequency: 1, stu3: true })]))).toBe(400);
  });

  it('uses the high end of a doseRange', () => {
    const r = dailyDose([dosage({ rangeHigh: { value: 600, unit: 'mg', code: 'mg' }, frequency: 1 })]);
    expect(mg(r)).toBe(600);
    expect(r.kind === 'computed' && r.derivation).toContain('up to 600 mg');
  });

  it('prefers the "ordered" doseAndRate over a "calculated" one', () => {
    const d: Dosage = {
      timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
      doseAndRate: [
        { type: { coding: [{ code: 'calculated' }] }, doseQuantity: { value: 300, unit: 'mg' } },
        { type: { coding: [{ code: 'ordered' }] }, doseQuantity: { value: 400, unit: 'mg' } },
      ],
    };
    expect(mg(dailyDose([d]))).toBe(400);
  });

  it('cannot compute a tablet count without a known strength', () => {
    const r = dailyDose([dosage({ tablets: 1, frequency: 1 })]);
    expect(r.kind).toBe('unparseable');
    expect(r.kind === 'unparseable' && r.reason).toMatch(/strength/);
  });

  it('rejects units that are neither mass nor a tablet count', () => {
    expect(dailyDose([dosage({ quantity: { value: 5, unit: 'mL', code: 'mL' }, frequency: 1 })]).kind).toBe('unparseable');
    expect(dailyDose([dosage({ quantity: { value: 1, unit: 'puff' }, frequency: 1 })]).kind).toBe('unparseable');
  });

  it('rejects a zero or missing dose value', () => {
    expect(dailyDose([dosage({ mg: 0, frequency: 1 })]).kind).toBe('unparseable');
    expect(dailyDose([{ timing: { code: { coding: [{ code: 'QD' }] } }, doseAndRate: [{ doseQuantity: { unit: 'mg' } }] }]).kind).toBe('unparseable');
  });
});

describe('dailyDose: frequency', () => {
  it.each([
    ['QD', 1],
    ['QAM', 1],
    ['QPM', 1],
    ['QHS', 1],
    ['BID', 2],
    ['bid', 2],
    ['TID', 3],
    ['QID', 4],
    ['Q4H', 6],
    ['Q6H', 4],
    ['Q8H', 3],
    ['q12h', 2],
    ['Q24H', 1],
    ['QOD', 0.5],
  ])('timing.code %s gives %d administrations a day', (code, perDay) => {
    const r = dailyDose([dosage({ mg: 100, code })]);
    expect(mg(r)).toBe(100 * perDay);
    expect(r.kind === 'computed' && r.derivation).toContain(`(${code.toUpperCase()})`);
  });

  it('reads per-week frequencies (14 times a week = twice daily)', () => {
    expect(mg(dailyDose([dosage({ mg: 400, frequency: 14, period: 1, periodUnit: 'wk' })]))).toBe(800);
  });

  it('reads "every other day" from a 2-day period', () => {
    expect(mg(dailyDose([dosage({ mg: 400, frequency: 1, period: 2, periodUnit: 'd' })]))).toBe(200);
  });

  it('rounds to 0.001 mg', () => {
    expect(mg(dailyDose([dosage({ mg: 100, frequency: 1, period: 7, periodUnit: 'h' })]))).toBe(342.857);
  });

  it('takes no timing as once daily only when the text says so', () => {
    expect(mg(dailyDose([dosage({ mg: 400, noTiming: true, text: '400 mg once daily with food' })]))).toBe(400);
    expect(mg(dailyDose([dosage({ mg: 400, noTiming: true, text: '400 mg ONCE A DAILY' })]))).toBe(400);
    // Only the docs/clinical-rules.md §3 pattern counts: other wordings are not guessed at.
    expect(dailyDose([dosage({ mg: 400, noTiming: true, text: '400 mg twice daily' })]).kind).toBe('unparseable');
    expect(mg(dailyDose([dosage({ mg: 400, noTiming: true, text: 'one tab QD' })]))).toBe(400);
    const vague = dailyDose([dosage({ mg: 400, noTiming: true, text: 'take as directed' })]);
    expect(vague.kind).toBe('unparseable');
    expect(dailyDose([dosage({ mg: 400, noTiming: true })]).kind).toBe('unparseable');
  });

  it('lets timing.code decide when timing.repeat gives a period but no frequency', () => {
    const d: Dosage = { timing: { repeat: { period: 1, periodUnit: 'd' }, code: { coding: [{ code: 'BID' }] } }, doseAndRate: [{ doseQuantity: { value: 400, unit: 'mg' } }] };
    expect(mg(dailyDose([d]))).toBe(800);
    const explicit: Dosage = { timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' }, code: { coding: [{ code: 'BID' }] } }, doseAndRate: [{ doseQuantity: { value: 400, unit: 'mg' } }] };
    expect(mg(dailyDose([explicit]))).toBe(400);
  });

  it('uses timing.code when timing.repeat only carries bounds', () => {
    const d: Dosage = { timing: { repeat: { boundsPeriod: { start: '2026-06-01' } }, code: { coding: [{ code: 'BID' }] } }, doseAndRate: [{ doseQuantity: { value: 400, unit: 'mg' } }] };
    expect(mg(dailyDose([d]))).toBe(800);
  });

  it('refuses month and year periods rather than guessing their length', () => {
    expect(dailyDose([dosage({ mg: 400, frequency: 30, period: 1, periodUnit: 'mo' })]).kind).toBe('unparseable');
  });

  it('refuses a repeat without a period', () => {
    expect(dailyDose([{ timing: { repeat: { frequency: 2 } }, doseAndRate: [{ doseQuantity: { value: 400, unit: 'mg' } }] }]).kind).toBe('unparseable');
  });
});

describe('dailyDose: several instructions', () => {
  it('adds instructions with the same sequence (400 mg morning + 400 mg evening = 800 mg/day)', () => {
    const r = dailyDose([dosage({ mg: 400, code: 'QAM', sequence: 1 }), dosage({ mg: 400, code: 'QPM', sequence: 1 })]);
    expect(mg(r)).toBe(800);
    expect(r.kind === 'computed' && r.derivation).toContain('400 mg × 1/day (QAM) = 400 mg/day + 400 mg × 1/day (QPM) = 400 mg/day');
  });

  it('adds instructions without a sequence', () => {
    expect(mg(dailyDose([dosage({ mg: 400, frequency: 1 }), dosage({ mg: 200, frequency: 1 })]))).toBe(600);
  });

  it('takes the largest phase when sequences differ (consecutive instructions)', () => {
    const r = dailyDose([dosage({ mg: 400, frequency: 1, sequence: 1 }), dosage({ mg: 400, frequency: 2, sequence: 2 })]);
    expect(mg(r)).toBe(800);
    expect(r.kind === 'computed' && r.derivation).toMatch(/sequence 1: .*; sequence 2: .*the largest counts: 800 mg\/day/);
  });

  it('runs unsequenced instructions alongside every phase', () => {
    const r = dailyDose([dosage({ mg: 400, frequency: 1, sequence: 1 }), dosage({ mg: 200, frequency: 1, sequence: 2 }), dosage({ mg: 100, frequency: 1 })]);
    expect(mg(r)).toBe(500);
  });

  it('is unparseable when any instruction is', () => {
    const r = dailyDose([dosage({ mg: 400, frequency: 1 }), { text: 'plus extra when needed' }]);
    expect(r.kind).toBe('unparseable');
    expect(r.kind === 'unparseable' && r.reason).toMatch(/instruction 2: free-text dosing only/);
  });

  it('is unparseable for free-text-only dosing and for no dosage at all', () => {
    expect(dailyDose([{ text: 'Imatinib 400 mg twice daily' }])).toEqual({ kind: 'unparseable', reason: 'free-text dosing only ("Imatinib 400 mg twice daily")' });
    expect(dailyDose(undefined)).toEqual({ kind: 'unparseable', reason: 'no dosage instructions' });
    expect(dailyDose([])).toEqual({ kind: 'unparseable', reason: 'no dosage instructions' });
  });
});

describe('totalDose', () => {
  it('sums computed doses and shows the parts', () => {
    const a = dailyDose([dosage({ mg: 400, frequency: 1 })]);
    const b = dailyDose([dosage({ mg: 200, frequency: 1 })]);
    const t = totalDose([a, b], ['MedicationRequest/a', 'MedicationRequest/b']);
    expect(t.kind === 'computed' && t.mgPerDay).toBe(600);
    expect(t.kind === 'computed' && t.derivation).toContain('MedicationRequest/a: 400 mg × 1/day');
    expect(t.kind === 'computed' && t.derivation).toMatch(/total 400 \+ 200 = 600 mg\/day$/);
  });

  it('returns a single result unchanged', () => {
    const a = dailyDose([dosage({ mg: 400, frequency: 2 })]);
    expect(totalDose([a])).toEqual(a);
  });

  it('is unparseable when any part is, naming it', () => {
    const t = totalDose([dailyDose([dosage({ mg: 400, frequency: 1 })]), dailyDose([{ text: 'as directed' }])], ['MedicationRequest/a', 'MedicationRequest/b']);
    expect(t.kind).toBe('unparseable');
    expect(t.kind === 'unparseable' && t.reason).toMatch(/^MedicationRequest\/b: free-text/);
  });

  it('avoids floating-point drift in sums (0.1 + 0.2 mg)', () => {
    const t = totalDose([dailyDose([dosage({ mg: 0.1, frequency: 1 })]), dailyDose([dosage({ mg: 0.2, frequency: 1 })])]);
    expect(t.kind === 'computed' && t.mgPerDay).toBe(0.3);
  });
});
