import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { CompiledTemplates, TemplateError, compileTemplates, resolveTemplate, type CompiledTemplate } from '../../../src/fhir/templates';

const HOOKS_DIR = path.resolve(__dirname, '..', '..', '..', 'hooks');

function one(template: string): CompiledTemplate {
  const entry = compileTemplates({ k: template }).entries[0];
  if (!entry) throw new Error('no entry');
  return entry;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const context = { patientId: 'pat-1', userId: 'Practitioner/doc-7', encounterId: 'enc-3' };

describe('compileTemplates', () => {
  it.each(fs.readdirSync(HOOKS_DIR).filter((f) => f.endsWith('.json')))('compiles every prefetch template of hooks/%s', (file) => {
    const service = JSON.parse(fs.readFileSync(path.join(HOOKS_DIR, file), 'utf8')) as { prefetch: Record<string, string> };
    const compiled = compileTemplates(service.prefetch);
    expect(compiled.entries.map((e) => e.key)).toEqual(Object.keys(service.prefetch));
    expect(compiled.entries.find((e) => e.key === 'patient')).toMatchObject({ kind: 'read', resourceType: 'Patient' });
    expect(compiled.entries.find((e) => e.key === 'labs')).toMatchObject({ kind: 'search', resourceType: 'Observation' });
  });

  it('rejects tokens CDS Hooks 2.0 does not define, naming the key', () => {
    expect(() => compileTemplates({ recent: 'Observation?patient={{context.patientId}}&date=ge{{today() - 30 days}}' })).toThrow(TemplateError);
    expect(() => compileTemplates({ recent: 'Observation?patient={{Patient.id}}' })).toThrow(/"recent".*Patient\.id/);
  });

  it('rejects templates that are neither a read nor a type-level search', () => {
    expect(() => compileTemplates({ x: 'http://evil.example/Patient/{{context.patientId}}' })).toThrow(TemplateError);
    expect(() => compileTemplates({ x: 'Patient/{{context.patientId}}/_history' })).toThrow(TemplateError);
    expect(() => compileTemplates({ x: '{{context.userId}}' })).toThrow(TemplateError);
  });

  it('rejects unbalanced braces', () => {
    expect(() => compileTemplates({ x: 'Observation?patient={{context.patientId}' })).toThrow(/unbalanced/);
  });

  it('compiles into a new CompiledTemplates each time (no cache: the service definition keeps the result)', () => {
    const templates = { patient: 'Patient/{{context.patientId}}' };
    const first = compileTemplates(templates);
    expect(first).toBeInstanceOf(CompiledTemplates);
    expect(compileTemplates(templates)).not.toBe(first);
    expect(compileTemplates(templates)).toEqual(first);
  });
});

describe('CompiledTemplate.codes', () => {
  it('lists the codes of the code parameter as "system|code", in order', () => {
    expect(one('Observation?patient={{context.patientId}}&code=http://loinc.org|751-8,http://loinc.org|777-3&_sort=-date').codes).toEqual([
      'http://loinc.org|751-8',
      'http://loinc.org|777-3',
    ]);
  });

  it('decodes a percent-encoded code parameter (%7C for "|", %3A%2F%2F, %2C between codes)', () => {
    expect(one('Observation?code=http%3A%2F%2Floinc.org%7C751-8%2Chttp://snomed.info/sct%7C277208005&patient={{context.patientId}}').codes).toEqual([
      'http://loinc.org|751-8',
      'http://snomed.info/sct|277208005',
    ]);
  });

  it('joins several code parameters and keeps an escaped comma inside a code', () => {
    expect(one('Observation?code=http://loinc.org|751-8&patient={{context.patientId}}&code=http://x.example|a\\,b,http://loinc.org|777-3').codes).toEqual([
      'http://loinc.org|751-8',
      'http://x.example|a,b',
      'http://loinc.org|777-3',
    ]);
  });

  it('is undefined without a code parameter (reads, searches on other parameters, code modifiers)', () => {
    expect(one('Patient/{{context.patientId}}').codes).toBeUndefined();
    expect(one('Condition?patient={{context.patientId}}').codes).toBeUndefined();
    expect(one('Observation?patient={{context.patientId}}&code:text=imatinib').codes).toBeUndefined();
    expect(one('Observation?patient={{context.patientId}}&category=laboratory').codes).toBeUndefined();
  });

  it('leaves out code values holding a token (known only per request)', () => {
    expect(one('Observation?code={{context.userId}},http://loinc.org|751-8').codes).toEqual(['http://loinc.org|751-8']);
  });

  it('rejects a code parameter that is not valid percent-encoding, naming the key', () => {
    expect(() => compileTemplates({ labs: 'Observation?code=http://loinc.org%7|751-8' })).toThrow(/"labs".*percent-encoding/);
  });

  it.each(fs.readdirSync(HOOKS_DIR).filter((f) => f.endsWith('.json')))('gives the codes of every coded key of hooks/%s', (file) => {
    const service = JSON.parse(fs.readFileSync(path.join(HOOKS_DIR, file), 'utf8')) as { prefetch: Record<string, string> };
    const compiled = compileTemplates(service.prefetch);
    const byKey = Object.fromEntries(compiled.entries.map((e) => [e.key, e.codes]));
    expect(byKey.patient).toBeUndefined();
    expect(byKey.conditions).toBeUndefined();
    expect(byKey.labs).toHaveLength(14);
    expect(byKey.labs).toContain('http://loinc.org|751-8');
    expect(byKey.diseaseStatus).toEqual(['http://loinc.org|97509-4']);
    expect(byKey.staging).toContain('http://snomed.info/sct|277208005');
    for (const codes of Object.values(byKey)) for (const code of codes ?? []) expect(code).toMatch(/^https?:\/\/[^|]+\|[^|,]+$/);
  });
});

describe('resolveTemplate', () => {
  it('fills the context tokens of a read and a search', () => {
    expect(resolveTemplate(one('Patient/{{context.patientId}}'), context)).toEqual({ ok: true, url: 'Patient/pat-1' });
    expect(resolveTemplate(one('Encounter?_id={{context.encounterId}}&patient={{ context.patientId }}'), context)).toEqual({
      ok: true,
      url: 'Encounter?_id=enc-3&patient=pat-1',
    });
  });

  it('URL-encodes values in query positions', () => {
    expect(resolveTemplate(one('Observation?patient={{context.patientId}}'), { patientId: 'a&b=c#d' })).toEqual({
      ok: true,
      url: 'Observation?patient=a%26b%3Dc%23d',
    });
    expect(resolveTemplate(one('Practitioner?_id={{context.userId}}'), context)).toEqual({ ok: true, url: 'Practitioner?_id=Practitioner%2Fdoc-7' });
  });

  it('refuses a path value that is not a FHIR id, so it cannot reshape the URL', () => {
    for (const patientId of ['..', '.', 'a/b', 'a?b', '']) {
      const r = resolveTemplate(one('Patient/{{context.patientId}}'), { patientId });
      expect(r.ok).toBe(false);
    }
  });

  it('says which token is missing when the context lacks it (e.g. no encounterId)', () => {
    const r = resolveTemplate(one('Encounter/{{context.encounterId}}'), { patientId: 'p' });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('context.encounterId') });
  });

  it('derives user*Id tokens from a context.userId of the matching type only', () => {
    expect(resolveTemplate(one('Practitioner/{{userPractitionerId}}'), context)).toEqual({ ok: true, url: 'Practitioner/doc-7' });
    expect(resolveTemplate(one('PractitionerRole?_id={{userPractitionerRoleId}}'), { userId: 'PractitionerRole/r1' })).toEqual({
      ok: true,
      url: 'PractitionerRole?_id=r1',
    });
    expect(resolveTemplate(one('Patient/{{userPatientId}}'), { userId: 'Patient/p9' })).toEqual({ ok: true, url: 'Patient/p9' });
    expect(resolveTemplate(one('RelatedPerson/{{userRelatedPersonId}}'), { userId: 'RelatedPerson/rp' })).toEqual({ ok: true, url: 'RelatedPerson/rp' });
    expect(resolveTemplate(one('Practitioner/{{userPractitionerId}}'), { userId: 'PractitionerRole/r1' })).toEqual({
      ok: false,
      reason: expect.stringContaining('Practitioner context.userId'),
    });
    expect(resolveTemplate(one('Practitioner/{{userPractitionerId}}'), {}).ok).toBe(false);
  });

  it('never lets a query value add parameters or fragments (property)', () => {
    const template = one('Observation?patient={{context.patientId}}&_count=5');
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'binary' }), (patientId) => {
        const r = resolveTemplate(template, { patientId });
        if (!r.ok) return LONE_SURROGATE.test(patientId);
        const params = new URLSearchParams(r.url.slice(r.url.indexOf('?') + 1));
        return !r.url.includes('#') && params.get('patient') === patientId && params.get('_count') === '5' && [...params.keys()].length === 2;
      }),
    );
  });
});
