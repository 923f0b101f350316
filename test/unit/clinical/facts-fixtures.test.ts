/** Every public fixture goes through fact extraction without throwing and gives the facts it really holds. */
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, FhirResource } from 'fhir/r4';
import { derive } from '../../helpers/derive';


const ROOT = path.join(__dirname, '../../fixtures');

function resourcesIn(file: string): FhirResource[] {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { resourceType?: string; context?: { draftOrders?: Bundle }; prefetch?: Record<string, FhirResource> };
  if (json.context?.draftOrders) return (json.context.draftOrders.entry ?? []).map((e) => e.resource as FhirResource);
  if (json.prefetch) return Object.values(json.prefetch).flatMap((r) => (r.resourceType === 'Bundle' ? ((r as Bundle).entry ?? []).map((e) => e.resource as FhirResource) : [r]));
  if (json.resourceType === 'Bundle') return ((json as Bundle).entry ?? []).map((e) => e.resource as FhirResource);
  return json.resourceType ? [json as FhirResource] : [];
}

const FHIR_DIRS = ['mcode', 'genomics-reporting', 'fhir-r4-core', 'cds-hooks'];
const files = FHIR_DIRS.flatMap((dir) =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(ROOT, dir, f))
    .filter((f) => resourcesIn(f).length > 0), // JWT/JWKS vectors hold no FHIR
);

describe('public fixtures', () => {
  it.each(files.map((f) => [path.relative(ROOT, f), f]))('%s goes through fact extraction', (_name, file) => {
    expect(() => derive(resourcesIn(file))).not.toThrow();
  });

  it('all of them together: no GIST (NSCLC is not GIST), no imatinib, KIT tested, no interacting drug', () => {
    const f = derive(files.flatMap(resourcesIn));
    expect(f.gist).toBeUndefined();
    expect(f.advanced).toBeUndefined();
    expect(f.imatinib.taking).toBe(false);
    expect(f.imatinib.start).toBeUndefined();
    expect(f.genotype).toMatchObject({ mutationTested: true, kitTested: true, kitVariantPresent: false, pdgfraTested: false });
    expect(f.genotype.kitExon9).toBeUndefined();
    expect(f.coMedications).toEqual({ cyp3a4Inducers: [], cyp3a4Inhibitors: [], warfarin: [] });
    expect(f.latestDiseaseStatus?.display).toBe('improved');
    expect(Object.values(f.labs).every((slot) => slot.value === undefined && slot.unusable.length === 0)).toBe(true);
    expect(f.pregnancy).toBeUndefined();
  });
});
