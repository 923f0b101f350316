/**
 * deriveFacts as the engine calls it, for fact tests: the Medication lookup from the resources themselves,
 * `evaluated` naming the orders under evaluation ("MedicationRequest/x", status draft unless given), and
 * optional missing prefetch keys.
 */
import type { FhirResource, MedicationRequest } from 'fhir/r4';
import { loadConfig } from '../../src/config';
import { deriveFacts } from '../../src/clinical/facts';
import { DataGaps, type MissingData } from '../../src/clinical/gaps';
import { indexMedications } from '../../src/clinical/medication';
import type { PatientFacts } from '../../src/clinical/types';
import { NOW } from './fhir-builders';

const cfg = loadConfig({}).clinical;

export function derive(resources: readonly FhirResource[], evaluated: Array<string | MedicationRequest> = [], missing: MissingData[] = [], now: Date = NOW): PatientFacts {
  const orders = evaluated.map((e) =>
    typeof e === 'string'
      ? { reference: e, resource: { resourceType: 'MedicationRequest', id: e.split('/')[1], status: 'draft', intent: 'order', subject: { reference: 'Patient/p' } } as MedicationRequest }
      : { reference: `MedicationRequest/${e.id ?? ''}`, resource: e },
  );
  return deriveFacts(resources, { now, cfg, medications: indexMedications(undefined, resources), evaluated: orders, gaps: new DataGaps(missing) });
}
