import { medicationTarget, relativeReference } from '../../../src/fhir/references';

describe('relativeReference', () => {
  it.each([
    ['Medication/abc', 'Medication/abc'],
    ['  Medication/abc  ', 'Medication/abc'],
    ['Medication/abc/', 'Medication/abc'],
    ['Medication/abc/_history/2', 'Medication/abc'],
    ['https://x/fhir/Medication/abc/_history/2', 'Medication/abc'],
    ['http://ehr.example/fhir/r4/Patient/p-1.2', 'Patient/p-1.2'],
    ['foo/Medication/abc', 'Medication/abc'],
  ])('names "Type/id" at the end of %s', (reference, expected) => {
    expect(relativeReference(reference)).toBe(expected);
  });

  it.each([['#med1'], ['urn:uuid:5f2c'], ['Medication'], ['Medication/'], ['medication/abc'], ['Medication/a_b'], [`Medication/${'a'.repeat(65)}`], ['Medication/abc?x=1']])(
    'is undefined for %s',
    (reference) => {
      expect(relativeReference(reference)).toBeUndefined();
    },
  );

  it('is undefined for a value that is not a string', () => {
    expect(relativeReference(undefined)).toBeUndefined();
    expect(relativeReference(42)).toBeUndefined();
    expect(relativeReference({ reference: 'Medication/abc' })).toBeUndefined();
  });
});

describe('medicationTarget', () => {
  const base = 'https://ehr.example/fhir/r4';

  it.each([
    ['Medication/abc', 'abc'],
    [' Medication/abc/_history/3 ', 'abc'],
    ['https://ehr.example/fhir/r4/Medication/abc', 'abc'],
    ['https://ehr.example/fhir/r4/Medication/abc/_history/3', 'abc'],
    ['https://ehr.example:443/fhir/r4/Medication/m.1-x', 'm.1-x'],
  ])('reads %s as Medication id %s', (reference, id) => {
    expect(medicationTarget(reference, base)).toEqual({ ok: true, id });
  });

  it.each([
    ['a contained reference', '#med1'],
    ['a urn', 'urn:uuid:5f2c'],
    ['another resource type', 'Substance/abc'],
    ['another host', 'https://other.example/fhir/r4/Medication/abc'],
    ['another scheme on the same host', 'http://ehr.example/fhir/r4/Medication/abc'],
    ['another path on the same host', 'https://ehr.example/other/Medication/abc'],
    ['a path that only starts like the base', 'https://ehr.example/fhir/r4x/Medication/abc'],
    ['a deeper path under the base', 'https://ehr.example/fhir/r4/x/Medication/abc'],
    ['a query', 'https://ehr.example/fhir/r4/Medication/abc?_format=xml'],
    ['credentials', 'https://user:pw@ehr.example/fhir/r4/Medication/abc'],
    ['an id of dots', 'Medication/..'],
    ['a relative path with a prefix', 'x/Medication/abc'],
    ['a Medication followed by another resource', 'Medication/abc/Patient/p1'],
  ])('does not read %s', (_what, reference) => {
    const target = medicationTarget(reference, base);
    expect(target).toEqual({ ok: false, reason: 'the Medication reference is not readable on this FHIR server' });
  });

  it('reads a relative reference without knowing the base, but no absolute one', () => {
    expect(medicationTarget('Medication/abc', undefined)).toEqual({ ok: true, id: 'abc' });
    expect(medicationTarget('https://ehr.example/fhir/r4/Medication/abc', undefined).ok).toBe(false);
  });

  it('reads absolute references under a base at the server root', () => {
    expect(medicationTarget('http://127.0.0.1:8080/Medication/abc', 'http://127.0.0.1:8080')).toEqual({ ok: true, id: 'abc' });
    expect(medicationTarget('http://127.0.0.1:8081/Medication/abc', 'http://127.0.0.1:8080').ok).toBe(false);
  });
});
