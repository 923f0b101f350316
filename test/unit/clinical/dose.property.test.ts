/**
 * Equivalent writings of one dose give one number: for a random dose (n tablets of a random strength, f
 * administrations a day), random combinations of dose units, timing forms, line splits and sequences all
 * compute n × strength × f mg/day.
 */
import fc from 'fast-check';
import type { Dosage } from 'fhir/r4';
import { dailyDose, type ProductStrength } from '../../../src/clinical/dose';
import { dosage, type DosageOptions } from '../../helpers/fhir-builders';

type Timing = Pick<DosageOptions, 'frequency' | 'period' | 'periodUnit' | 'code'>;

const DAILY_CODES: Record<number, string> = { 1: 'QD', 2: 'BID', 3: 'TID', 4: 'QID' };
const HOURLY_CODES: Record<number, string> = { 1: 'Q24H', 2: 'Q12H', 3: 'Q8H', 4: 'Q6H' };

/** Ways to write "f times a day". */
function timings(f: number): Timing[] {
  return [
    { frequency: f, period: 1, periodUnit: 'd' },
    { frequency: 1, period: 24 / f, periodUnit: 'h' },
    { frequency: f, period: 24, periodUnit: 'h' },
    { frequency: 7 * f, period: 1, periodUnit: 'wk' },
    { code: DAILY_CODES[f] ?? 'QD' },
    { code: (HOURLY_CODES[f] ?? 'Q24H').toLowerCase() },
  ];
}

type DoseWriting = (mg: number, tablets: number | undefined) => DosageOptions | undefined;

/** Ways to write one administration of `mg` (tablets = the same dose as a tablet count, when whole). */
const DOSE_WRITINGS: DoseWriting[] = [
  (mg) => ({ mg }),
  (mg) => ({ g: mg / 1000 }),
  (mg) => ({ quantity: { value: mg, unit: 'MG' } }),
  (mg) => ({ quantity: { value: mg, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }),
  (mg) => ({ rangeHigh: { value: mg, unit: 'mg', code: 'mg' } }),
  (mg) => ({ mg, stu3: true }),
  (_mg, tablets) => (tablets !== undefined ? { tablets } : undefined),
  (_mg, tablets) => (tablets !== undefined ? { quantity: { value: tablets, unit: 'TAB' } } : undefined),
  (_mg, tablets) => (tablets !== undefined ? { quantity: { value: tablets, code: '{pill}', system: 'http://unitsofmeasure.org' } } : undefined),
];

interface Case {
  strength: number;
  tablets: number;
  perDay: number;
  split: number;
  oneLinePerAdministration: boolean;
  doseWriting: number;
  timingWriting: number;
  sequence: 'none' | 'same';
  lowerPhase: boolean;
  shuffleSeed: number;
}

const arbitraryCase: fc.Arbitrary<Case> = fc.record({
  strength: fc.constantFrom(50, 100, 400),
  tablets: fc.integer({ min: 1, max: 8 }),
  perDay: fc.integer({ min: 1, max: 4 }),
  /** 1 = one line; k > 1 = the dose split into k equal lines taken together. */
  split: fc.integer({ min: 1, max: 3 }),
  /** Write the f administrations as f once-daily lines instead of one line. */
  oneLinePerAdministration: fc.boolean(),
  doseWriting: fc.nat({ max: DOSE_WRITINGS.length - 1 }),
  timingWriting: fc.nat({ max: 5 }),
  sequence: fc.constantFrom<'none' | 'same'>('none', 'same'),
  /** Add a consecutive phase with a smaller total (titration): the largest phase must still count. */
  lowerPhase: fc.boolean(),
  shuffleSeed: fc.nat(),
});

function writeLines(c: Case): Dosage[] {
  const mgPerAdministration = c.tablets * c.strength;
  const administrations = c.oneLinePerAdministration ? Array.from({ length: c.perDay }, () => 1) : [c.perDay];
  const lines: Dosage[] = [];
  const sequence = c.sequence === 'same' || c.lowerPhase ? { sequence: 1 } : {};
  for (const perDay of administrations) {
    const timing = timings(perDay)[c.timingWriting] ?? { frequency: perDay };
    const parts = c.split;
    const partMg = mgPerAdministration / parts;
    const partTablets = c.tablets % parts === 0 ? c.tablets / parts : undefined;
    for (let i = 0; i < parts; i += 1) {
      const write = DOSE_WRITINGS[c.doseWriting] ?? DOSE_WRITINGS[0];
      const dose = write?.(partMg, partTablets) ?? { mg: partMg };
      lines.push(dosage({ ...dose, ...timing, ...sequence }));
    }
  }
  if (c.lowerPhase) lines.push(dosage({ mg: (mgPerAdministration * c.perDay) / 2, frequency: 1, sequence: 2 }));
  // Line order must not matter.
  return lines.map((l, i) => ({ l, k: (i * 7919 + c.shuffleSeed) % 104729 })).sort((a, b) => a.k - b.k).map((x) => x.l);
}

describe('dailyDose: equivalent writings give one number (property)', () => {
  it('computes n tablets × strength × administrations/day for every writing', () => {
    fc.assert(
      fc.property(arbitraryCase, (c) => {
        const strength: ProductStrength = { mg: c.strength, per: 'unit', form: 'tablet', source: 'test' };
        const result = dailyDose(writeLines(c), strength);
        expect(result).toMatchObject({ kind: 'computed', mgPerDay: c.tablets * c.strength * c.perDay });
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same number for 400 mg BID, 0.4 g q12h, one 400 mg tablet BID, four 100 mg tablets BID and two 400 mg lines', () => {
    const tab400: ProductStrength = { mg: 400, per: 'unit', form: 'tablet', source: 'RxNorm 403879' };
    const tab100: ProductStrength = { mg: 100, per: 'unit', form: 'tablet', source: 'RxNorm 403878' };
    const writings: Array<[Dosage[], ProductStrength | undefined]> = [
      [[dosage({ mg: 400, code: 'BID' })], undefined],
      [[dosage({ g: 0.4, frequency: 1, period: 12, periodUnit: 'h' })], undefined],
      [[dosage({ tablets: 1, frequency: 2 })], tab400],
      [[dosage({ tablets: 4, frequency: 2 })], tab100],
      [[dosage({ mg: 400, code: 'QAM', sequence: 1 }), dosage({ mg: 400, code: 'QPM', sequence: 1 })], undefined],
    ];
    for (const [lines, strength] of writings) expect(dailyDose(lines, strength)).toMatchObject({ kind: 'computed', mgPerDay: 800 });
  });

  it('never throws and always explains itself, whatever the numbers', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: false }),
        fc.double({ min: -10, max: 1e4 }),
        fc.constantFrom('mg', 'g', 'MG', '{tbl}', 'mL', '', 'banana'),
        fc.constantFrom<'h' | 'd' | 'wk' | 'mo' | 'min'>('h', 'd', 'wk', 'mo', 'min'),
        (value, period, unit, periodUnit) => {
          const r = dailyDose([{ doseAndRate: [{ doseQuantity: { value, unit } }], timing: { repeat: { frequency: 1, period, periodUnit } } }], {
            mg: 100,
            per: 'unit',
            form: 'tablet',
            source: 'test',
          });
          if (r.kind === 'computed') {
            expect(Number.isFinite(r.mgPerDay)).toBe(true);
            expect(r.mgPerDay).toBeGreaterThanOrEqual(0);
            expect(r.derivation).toMatch(/mg\/day$/);
          } else {
            expect(r.reason.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
