import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  prefetch: { patient: 'Patient/{{context.patientId}}' },
  verificationSummary: false,
};

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

  it('prefetch covers every datum RULES.md needs, narrowed by code', () => {
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
