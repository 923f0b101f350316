import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../src/config';
import { CompiledTemplates } from '../../../src/fhir/templates';
import { loadServices } from '../../../src/protocol/services';

function hooksDir(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hooks-'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

const valid = {
  id: 'svc',
  hook: 'order-sign',
  title: 'T',
  description: 'D',
  prefetch: { patient: 'Patient/{{context.patientId}}', conditions: 'Condition?patient={{context.patientId}}' },
  prefetchLabels: { patient: 'patient record', conditions: 'diagnoses' },
  verificationSummary: false,
};

/** The ConfigError loadServices throws for these files. */
function loadError(files: Record<string, unknown>): ConfigError {
  try {
    loadServices(hooksDir(files));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('loadServices accepted the files');
}

describe('service definitions (hooks/*.json)', () => {
  const registry = loadServices();

  it('defines the three imatinib services on their hooks', () => {
    expect(registry.list.map((s) => [s.id, s.hook])).toEqual([
      ['imatinib-order-select', 'order-select'],
      ['imatinib-order-sign', 'order-sign'],
      ['imatinib-pharmacy-verify', 'order-sign'],
    ]);
    expect(registry.byId.get('imatinib-pharmacy-verify')?.verificationSummary).toBe(true);
  });

  it('R6: uses only CDS Hooks 2.0 prefetch tokens', () => {
    for (const service of registry.list) {
      for (const template of Object.values(service.prefetch)) {
        for (const m of template.matchAll(/\{\{([^}]*)\}\}/g)) {
          expect(['context.patientId', 'context.userId', 'context.encounterId', 'userPractitionerId']).toContain(m[1]);
        }
        expect(template).not.toMatch(/draftOrders|_include|sort:desc/);
      }
    }
  });

  it('prefetch covers every datum docs/clinical-rules.md needs, narrowed by code', () => {
    const all = Object.values(registry.byId.get('imatinib-order-sign')?.prefetch ?? {}).join('\n');
    const loinc = ['69548-6', '53041-0', '55201-8', '97509-4', '751-8', '753-4', '26499-4', '777-3', '26515-7', '1975-2', '14631-6', '1742-6', '1920-8', '2164-2', '35591-7', '98979-8', '62238-1', '33914-3', '82810-3', '2106-3', '2118-8', '21907-1', '21901-4', '21913-9'];
    for (const code of loinc) expect(all).toContain(`http://loinc.org|${code}`);
    for (const code of ['277208005', '399387003', '371497001']) expect(all).toContain(`http://snomed.info/sct|${code}`);
    expect(all).toContain('Patient/{{context.patientId}}');
    expect(all).toContain('Condition?patient={{context.patientId}}');
    // Imatinib history needs every status: the medication queries must not filter on status.
    expect(all).toMatch(/^MedicationRequest\?patient=\{\{context\.patientId\}\}$/m);
    expect(all).toMatch(/^MedicationStatement\?patient=\{\{context\.patientId\}\}$/m);
    expect(all).not.toContain('26511-6');
  });

  it('pre-serialises discovery without internal fields', () => {
    const doc = JSON.parse(registry.discoveryJson) as { services: Record<string, unknown>[] };
    expect(doc.services).toHaveLength(3);
    for (const s of doc.services) {
      expect(Object.keys(s).sort()).toEqual(['description', 'hook', 'id', 'prefetch', 'title', 'usageRequirements']);
    }
  });

  it('loads a valid definition, keeping its compiled templates on it', () => {
    const svc = loadServices(hooksDir({ 'svc.json': valid })).byId.get('svc');
    expect(svc?.prefetchTemplates).toBeInstanceOf(CompiledTemplates);
    expect(svc?.prefetchTemplates.entries.map((e) => [e.key, e.kind, e.resourceType])).toEqual([
      ['patient', 'read', 'Patient'],
      ['conditions', 'search', 'Condition'],
    ]);
    expect(svc?.prefetchLabels).toEqual({ patient: 'patient record', conditions: 'diagnoses' });
  });

  it('compiles every service\'s prefetch templates at load, with the codes of coded keys', () => {
    for (const service of registry.list) {
      expect(service.prefetchTemplates.entries.map((e) => e.key)).toEqual(Object.keys(service.prefetch));
      expect(service.prefetchTemplates.entries.find((e) => e.key === 'labs')?.codes).toContain('http://loinc.org|751-8');
      expect(service.prefetchTemplates.entries.find((e) => e.key === 'pregnancy')?.codes).toEqual(['http://loinc.org|82810-3', 'http://loinc.org|2106-3', 'http://loinc.org|2118-8']);
    }
  });

  it('gives every prefetch key of every service the words a prescriber reads', () => {
    for (const service of registry.list) {
      expect(Object.keys(service.prefetchLabels).sort()).toEqual(Object.keys(service.prefetch).sort());
      expect(service.prefetchLabels).toMatchObject({ patient: 'patient record', conditions: 'diagnoses', labs: 'labs', medicationStatements: 'medication list' });
    }
  });

  it('keeps prefetchLabels out of the discovery document', () => {
    expect(registry.discoveryJson).not.toContain('prefetchLabels');
    expect(registry.discoveryJson).not.toContain('medication list');
    const doc = JSON.parse(loadServices(hooksDir({ 'svc.json': valid })).discoveryJson) as { services: Record<string, unknown>[] };
    expect(doc.services[0]).not.toHaveProperty('prefetchLabels');
    expect(doc.services[0]).not.toHaveProperty('prefetchTemplates');
  });

  it('rejects a prefetch key without a label, naming the file and the key', () => {
    const error = loadError({ 'svc.json': { ...valid, prefetchLabels: { patient: 'patient record' } } });
    expect(error.message).toMatch(/hooks\/svc\.json is invalid: prefetchLabels\.conditions: prefetch key "conditions" has no label/);
  });

  it('rejects an empty or blank label, naming the key', () => {
    expect(loadError({ 'svc.json': { ...valid, prefetchLabels: { patient: '  ', conditions: 'diagnoses' } } }).message).toMatch(/prefetchLabels\.patient: the label of prefetch key "patient" is empty/);
    expect(loadError({ 'svc.json': { ...valid, prefetchLabels: { patient: '', conditions: 'diagnoses' } } }).message).toMatch(/prefetchLabels\.patient/);
  });

  it('rejects a label for a key the service does not prefetch, naming it', () => {
    const error = loadError({ 'svc.json': { ...valid, prefetchLabels: { ...valid.prefetchLabels, labz: 'labs' } } });
    expect(error.message).toMatch(/prefetchLabels\.labz: "labz" is not a prefetch key of this service/);
  });

  it('rejects a definition without prefetchLabels', () => {
    const { prefetchLabels: _labels, ...withoutLabels } = valid;
    expect(loadError({ 'svc.json': withoutLabels }).message).toMatch(/hooks\/svc\.json is invalid: prefetchLabels/);
  });

  it('rejects a service without a Condition search key (the GIST gate needs the Conditions)', () => {
    const error = loadError({ 'svc.json': { ...valid, prefetch: { patient: valid.prefetch.patient }, prefetchLabels: { patient: 'patient record' } } });
    expect(error.message).toMatch(/hooks\/svc\.json is invalid: prefetch: needs a Condition search key/);
    // A Condition read is not a search of the patient's Conditions.
    const read = { ...valid, prefetch: { patient: valid.prefetch.patient, c: 'Condition/{{context.patientId}}' }, prefetchLabels: { patient: 'p', c: 'c' } };
    expect(loadError({ 'svc.json': read }).message).toMatch(/needs a Condition search key/);
  });

  it('rejects a template that does not compile at start-up, naming the file and the key', () => {
    const error = loadError({ 'svc.json': { ...valid, prefetch: { ...valid.prefetch, labs: 'Observation?patient={{context.patientId}' }, prefetchLabels: { ...valid.prefetchLabels, labs: 'labs' } } });
    expect(error.message).toMatch(/hooks\/svc\.json is invalid: prefetch "labs": unbalanced braces/);
  });

  it('rejects a template with a token outside the 2.0 subset, naming the file', () => {
    const dir = hooksDir({ 'svc.json': { ...valid, prefetch: { meds: 'MedicationRequest?patient={{context.draftOrders.id}}' } } });
    expect(() => loadServices(dir)).toThrow(/hooks\/svc\.json is invalid: prefetch\.meds: prefetch token \{\{context\.draftOrders\.id\}\} is not allowed/);
  });

  it('rejects an unknown field, a wrong hook and an id that does not match the file name', () => {
    expect(() => loadServices(hooksDir({ 'svc.json': { ...valid, extra: 1 } }))).toThrow(/extra/);
    expect(() => loadServices(hooksDir({ 'svc.json': { ...valid, hook: 'patient-view' } }))).toThrow(/hook/);
    expect(() => loadServices(hooksDir({ 'other.json': valid }))).toThrow(/must match the file name/);
  });

  it('rejects a file that is not JSON and an empty directory', () => {
    expect(() => loadServices(hooksDir({ 'svc.json': '{' }))).toThrow(/not valid JSON/);
    expect(() => loadServices(hooksDir({}))).toThrow(/no service definitions/);
  });
});
