import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { CompiledTemplates, TemplateError, compileTemplates, ensureCompiled, resolveTemplate, type CompiledTemplate } from '../../../src/fhir/templates';

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

  it('compiles a raw templates object once and reuses it for the same object', () => {
    const templates = { patient: 'Patient/{{context.patientId}}' };
    const first = ensureCompiled(templates);
    expect(ensureCompiled(templates)).toBe(first);
    expect(ensureCompiled(first)).toBe(first);
    expect(first).toBeInstanceOf(CompiledTemplates);
    expect(ensureCompiled({ ...templates })).not.toBe(first);
  });

  it('remembers a start-up compilation for the raw object it compiled', () => {
    const templates = { patient: 'Patient/{{context.patientId}}' };
    const atStartUp = compileTemplates(templates);
    expect(ensureCompiled(templates)).toBe(atStartUp);
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
