import {
  bilirubinUlnIn,
  bilirubinValue,
  clearanceInMlPerMin,
  convertValue,
  countIn10e9PerL,
  displayUnit,
  enzymeInUPerL,
  roundSignificant,
} from '../../../src/clinical/units';

const ucum = (value: number, code: string) => ({ value, unit: code, system: 'http://unitsofmeasure.org', code });
const text = (value: number, unit: string) => ({ value, unit });

describe('cell counts to 10^9/L', () => {
  it('keeps 10*9/L and takes 10*3/uL as the same number, without float noise', () => {
    expect(countIn10e9PerL(ucum(1.5, '10*9/L'))).toBe(1.5);
    expect(countIn10e9PerL(ucum(1.5, '10*3/uL'))).toBe(1.5);
    expect(countIn10e9PerL(ucum(1, '10*3/uL'))).toBe(1);
    expect(countIn10e9PerL(ucum(5, '10*3/mm3'))).toBe(5);
  });

  it('divides per-microlitre counts by 1000 (990 /uL = 0.99)', () => {
    expect(countIn10e9PerL(ucum(990, '/uL'))).toBe(0.99);
    expect(countIn10e9PerL(ucum(990, '{cells}/uL'))).toBe(0.99);
    expect(countIn10e9PerL(text(990, 'cells/µL'))).toBe(0.99);
    expect(countIn10e9PerL(ucum(45000, '/mm3'))).toBe(45);
  });

  it('reads lab shorthand unit text (K/uL is not kelvin per microlitre)', () => {
    expect(countIn10e9PerL(text(0.8, 'K/uL'))).toBe(0.8);
    expect(countIn10e9PerL(text(0.8, 'x10E3/uL'))).toBe(0.8);
    expect(countIn10e9PerL(text(0.8, '10^9/L'))).toBe(0.8);
    expect(countIn10e9PerL(text(120, 'G/L'))).toBe(120);
    expect(countIn10e9PerL({ value: 0.8, unit: 'K/uL', system: 'http://unitsofmeasure.org', code: '10*3/uL' })).toBe(0.8);
  });

  it('refuses a percentage or no unit', () => {
    expect(countIn10e9PerL(ucum(45, '%'))).toBeUndefined();
    expect(countIn10e9PerL({ value: 1.2 })).toBeUndefined();
    expect(countIn10e9PerL(undefined)).toBeUndefined();
  });
});

describe('enzymes and clearance', () => {
  it('reads U/L, IU/L and ukat/L as U/L', () => {
    expect(enzymeInUPerL(ucum(250, 'U/L'))).toBe(250);
    expect(enzymeInUPerL(text(250, 'IU/L'))).toBe(250);
    expect(enzymeInUPerL(ucum(1, 'ukat/L'))).toBe(60);
  });

  it('reads mL/min and eGFR units normalised to 1.73 m2 as mL/min', () => {
    expect(clearanceInMlPerMin(ucum(45, 'mL/min'))).toBe(45);
    expect(clearanceInMlPerMin(ucum(45, 'mL/min/{1.73_m2}'))).toBe(45);
    expect(clearanceInMlPerMin(text(45, 'mL/min/1.73m2'))).toBe(45);
    expect(clearanceInMlPerMin(text(45, 'ml/min/1.73 m2'))).toBe(45);
    expect(clearanceInMlPerMin(ucum(1, 'mL/s'))).toBe(60);
    expect(clearanceInMlPerMin(ucum(1, 'mg/dL'))).toBeUndefined();
  });
});

describe('bilirubin', () => {
  it('keeps mass and molar results in their own unit', () => {
    expect(bilirubinValue(ucum(3.6, 'mg/dL'))).toEqual({ value: 3.6, unit: 'mg/dL' });
    expect(bilirubinValue(ucum(62, 'umol/L'))).toEqual({ value: 62, unit: 'umol/L' });
    expect(bilirubinValue(text(62, 'µmol/L'))).toEqual({ value: 62, unit: 'umol/L' });
    expect(bilirubinValue(ucum(36, 'mg/L'))).toEqual({ value: 3.6, unit: 'mg/dL' });
  });

  it('converts the ULN into the unit of the value, across mass and molar units (584.66 g/mol)', () => {
    expect(bilirubinUlnIn(ucum(1.2, 'mg/dL'), 'mg/dL')).toBe(1.2);
    expect(bilirubinUlnIn(ucum(1, 'mg/dL'), 'umol/L')).toBeCloseTo(17.104, 3);
    expect(bilirubinUlnIn(ucum(21, 'umol/L'), 'mg/dL')).toBeCloseTo(1.228, 3);
    expect(bilirubinUlnIn(undefined, 'mg/dL')).toBeUndefined();
  });
});

describe('helpers', () => {
  it('rounds binary noise away', () => {
    expect(roundSignificant(0.9899999999999999)).toBe(0.99);
    expect(roundSignificant(1.4999999999999998)).toBe(1.5);
  });

  it('converts between commensurable UCUM units and refuses the rest', () => {
    expect(convertValue(1, 'g', 'mg')).toBe(1000);
    expect(convertValue(1, 'g', 'mL')).toBeUndefined();
    expect(convertValue(1, 'not a unit', 'mg')).toBeUndefined();
  });

  it('shows units the way card text wants them', () => {
    expect(displayUnit('10*9/L')).toBe('×10^9/L');
    expect(displayUnit('umol/L')).toBe('µmol/L');
    expect(displayUnit('U/L')).toBe('U/L');
  });
});
