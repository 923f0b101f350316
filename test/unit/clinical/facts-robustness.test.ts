/**
 * Malformed FHIR must not crash fact extraction or order recognition: EHRs send lone objects for arrays,
 * numbers for strings and nulls. Random junk in every field must give facts (possibly empty), not a throw.
 */
import fc from 'fast-check';
import type { Bundle, FhirResource } from 'fhir/r4';
import { derive } from '../../helpers/derive';
import { indexMedications } from '../../../src/clinical/medication';
import { buildImatinibOrders, selectImatinibOrders } from '../../../src/clinical/orders';
import { condition, diseaseStatus, gistCondition, hcgTest, imatinibOrder, imatinibRecord, lab, LOINC, medicationRequest, pregnancyStatus, variantObservation } from '../../helpers/fhir-builders';


const templates = (): FhirResource[] => [
  gistCondition({ stageSummaryText: 'metastatic' }),
  condition({ icd10: 'C78.7' }),
  variantObservation({ gene: 'KIT', exon: '9', cHgvs: 'c.1504_1509dup' }),
  lab(LOINC.anc, 0.8, '10*9/L', '2026-05-30', 1.5),
  lab(LOINC.bilirubin, 3, 'mg/dL', '2026-05-30', 1.2),
  diseaseStatus('worsened', '2026-05-01'),
  imatinibRecord({ status: 'active' }),
  medicationRequest({ rxnorm: '9384' }),
  pregnancyStatus(true, '2026-05-01'),
  hcgTest('positive', '2026-05-30'),
];

/** Replace the value at a random path of a random resource with junk. */
function corrupt(resource: unknown, path: number[], junk: unknown): unknown {
  if (typeof resource !== 'object' || resource === null || path.length === 0) return junk;
  const keys = Object.keys(resource);
  if (keys.length === 0) return junk;
  const key = keys[(path[0] ?? 0) % keys.length] as string;
  const copy: Record<string, unknown> = Array.isArray(resource) ? ([...resource] as unknown as Record<string, unknown>) : { ...(resource as Record<string, unknown>) };
  copy[key] = corrupt((resource as Record<string, unknown>)[key], path.slice(1), junk);
  return copy;
}

const junk = fc.oneof(fc.constant(null), fc.string(), fc.integer(), fc.boolean(), fc.constant({}), fc.constant([]), fc.dictionary(fc.string(), fc.string()), fc.array(fc.integer()));

describe('robustness against malformed FHIR (property)', () => {
  it('never throws, whichever field is replaced by junk', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(9), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), junk), { minLength: 1, maxLength: 4 }), (corruptions) => {
        const resources: unknown[] = templates();
        for (const [which, path, value] of corruptions) resources[which] = corrupt(resources[which], path, value);
        expect(() => derive(resources as FhirResource[])).not.toThrow();
      }),
      { numRuns: 600 },
    );
  });

  it('order recognition and dosing never throw on a corrupted order', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), junk, (path, value) => {
        const order = corrupt(imatinibOrder({ tablets: 1, frequency: 2 }), path, value) as FhirResource;
        const draftOrders: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: order }] };
        expect(() => {
          const selected = selectImatinibOrders({ hook: 'order-sign', draftOrders });
          buildImatinibOrders([...selected.imatinib, ...selected.unresolved.map((u) => u.order)], indexMedications(draftOrders));
        }).not.toThrow();
      }),
      { numRuns: 600 },
    );
  });
});
