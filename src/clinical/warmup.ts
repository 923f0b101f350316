/**
 * One synthetic evaluation at start-up, so the first real request does not pay for lazy initialisation
 * (UCUM unit parsing, regular expressions, JIT) — the service reports ready only after it.
 * Codes only; no real patient data.
 */
import type { Bundle, FhirResource, MedicationRequest } from 'fhir/r4';
import type { ClinicalRequest } from './types';

const subject = { reference: 'Patient/warm-up' };
const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
const quantity = (value: number, code: string) => ({ value, unit: code, system: 'http://unitsofmeasure.org', code });

function lab(id: string, date: string, code: string, value: number, unit: string, uln?: number): FhirResource {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: loinc(code),
    subject,
    effectiveDateTime: date,
    valueQuantity: quantity(value, unit),
    ...(uln !== undefined ? { referenceRange: [{ high: quantity(uln, unit) }] } : {}),
  };
}

export function warmUpRequest(now: Date): ClinicalRequest {
  const today = now.toISOString().slice(0, 10);
  const order: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: 'warm-up-order',
    status: 'draft',
    intent: 'order',
    subject,
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '403879' }] },
    dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: quantity(1, '{pill}') }] }],
  };
  const draftOrders: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: order }] };
  const patientResources: FhirResource[] = [
    { resourceType: 'Condition', id: 'warm-up-gist', subject, code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'C49.A2' }] } },
    lab('warm-up-anc', today, '751-8', 900, '/uL'),
    lab('warm-up-plt', today, '777-3', 200, '10*3/uL'),
    lab('warm-up-bili', today, '1975-2', 0.8, 'mg/dL', 1.2),
    lab('warm-up-bili-molar', today, '14631-6', 12, 'umol/L', 21),
    lab('warm-up-alt', today, '1742-6', 30, 'U/L', 40),
    lab('warm-up-crcl', today, '35591-7', 90, 'mL/min'),
  ];
  return { orders: [order], draftOrders, patientResources, now };
}
