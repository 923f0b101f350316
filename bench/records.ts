/**
 * Patient records of a chosen size for the bench sweep (10, 100, 1,000, 3,000 resources): the bench patient
 * (bench/patient.ts) with the history a long-treated GIST patient really accumulates, in the proportions a FHIR
 * server answers the service's prefetch queries with: mostly serial labs (the six the rules read, every few
 * days), then medication orders (imatinib renewals and the usual supportive drugs, in every status), medication
 * statements, other conditions and older disease-status assessments. Deterministic: the same size and date give
 * the same record. The clinical answer is the same at every size (one EXON9_HIGH_DOSE card): only the history
 * grows, so the sweep measures what the history costs.
 */
import type { CodeableConcept, Condition, FhirResource, MedicationRequest, MedicationStatement, Observation } from 'fhir/r4';
import { BENCH_PATIENT_ID, patientResources } from './patient';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';
const subject = { reference: `Patient/${BENCH_PATIENT_ID}` };

const cc = (system: string, code: string, display: string): CodeableConcept => ({ coding: [{ system, code, display }], text: display });
const instant = (now: Date, daysAgo: number, hour = 7): string => {
  const d = new Date(now.getTime() - daysAgo * 86_400_000);
  d.setUTCHours(hour, 30, 0, 0);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
};
const day = (now: Date, daysAgo: number): string => instant(now, daysAgo).slice(0, 10);

/** The six labs the rules read, with typical values on imatinib (mild cytopenia, normal liver, mild CKD). */
const LABS: Array<{ loinc: string; display: string; unit: string; base: number; spread: number; high?: number }> = [
  { loinc: '751-8', display: 'Neutrophils # Bld Auto', unit: '10*9/L', base: 2.9, spread: 1.2 },
  { loinc: '777-3', display: 'Platelets # Bld Auto', unit: '10*9/L', base: 205, spread: 60 },
  { loinc: '1975-2', display: 'Bilirub SerPl-mCnc', unit: 'mg/dL', base: 0.7, spread: 0.3, high: 1.2 },
  { loinc: '1742-6', display: 'ALT SerPl-cCnc', unit: 'U/L', base: 26, spread: 12, high: 41 },
  { loinc: '1920-8', display: 'AST SerPl-cCnc', unit: 'U/L', base: 29, spread: 10, high: 40 },
  { loinc: '35591-7', display: 'Creat Cl pred C-G', unit: 'mL/min', base: 76, spread: 8 },
];

const SUPPORTIVE: Array<{ rxnorm: string; display: string; text: string }> = [
  { rxnorm: '198053', display: 'omeprazole 20 MG Delayed Release Oral Capsule', text: '20 mg by mouth once daily' },
  { rxnorm: '312086', display: 'ondansetron 8 MG Oral Tablet', text: '8 mg by mouth every 8 hours as needed for nausea' },
  { rxnorm: '978010', display: 'loperamide 2 MG Oral Capsule', text: '2 mg by mouth after each loose stool' },
  { rxnorm: '310429', display: 'furosemide 20 MG Oral Tablet', text: '20 mg by mouth once daily for oedema' },
  { rxnorm: '197361', display: 'amlodipine 5 MG Oral Tablet', text: '5 mg by mouth once daily' },
  { rxnorm: '860975', display: 'metformin 500 MG Oral Tablet', text: '500 mg by mouth twice daily' },
  { rxnorm: '313782', display: 'acetaminophen 325 MG Oral Tablet', text: '650 mg by mouth every 6 hours as needed' },
];

const COMORBIDITIES: Array<{ code: string; display: string }> = [
  { code: 'I10', display: 'Essential (primary) hypertension' },
  { code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' },
  { code: 'K21.9', display: 'Gastro-esophageal reflux disease without esophagitis' },
  { code: 'D64.9', display: 'Anemia, unspecified' },
  { code: 'R60.0', display: 'Localized edema' },
  { code: 'E78.5', display: 'Hyperlipidemia, unspecified' },
];

const STATUSES: MedicationRequest['status'][] = ['completed', 'stopped', 'completed', 'active', 'cancelled', 'entered-in-error'];

/** A number that looks measured: deterministic in (series, index). */
function jitter(series: number, i: number): number {
  const x = Math.sin(series * 7919 + i * 104729) * 10000;
  return x - Math.floor(x) - 0.5;
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

function serialLab(now: Date, series: number, draw: number): Observation {
  const l = LABS[series % LABS.length] as (typeof LABS)[number];
  // Draws every 3 days going back from a week ago (the recent labs of patientResources stay the latest).
  const when = instant(now, 7 + draw * 3, 7 + (series % 3));
  const value = round(l.base + jitter(series, draw) * l.spread, l.unit === '10*9/L' && l.base < 10 ? 1 : 0);
  const q = (v: number) => ({ value: v, unit: l.unit, system: UCUM, code: l.unit });
  return {
    resourceType: 'Observation',
    id: `hist-lab-${l.loinc}-${draw}`,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
    code: cc(LOINC, l.loinc, l.display),
    subject,
    effectiveDateTime: when,
    issued: when,
    valueQuantity: q(Math.max(value, 0.1)),
    ...(l.high !== undefined ? { referenceRange: [{ high: q(l.high) }] } : {}),
  };
}

function pastImatinib(now: Date, i: number): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: `hist-imatinib-${i}`,
    status: i % 9 === 0 ? 'stopped' : 'completed',
    intent: 'order',
    medicationCodeableConcept: cc(RXNORM, '403879', 'imatinib 400 MG Oral Tablet'),
    subject,
    authoredOn: day(now, 380 + (i + 1) * 30),
    requester: { reference: 'Practitioner/onc-1', display: 'Dr. A. Oncologist' },
    dosageInstruction: [
      {
        text: '400 mg by mouth once daily with food',
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet', system: UCUM, code: '{tbl}' } }],
      },
    ],
    dispenseRequest: { validityPeriod: { start: day(now, 380 + (i + 1) * 30), end: day(now, 380 + i * 30) } },
  };
}

function supportiveOrder(now: Date, i: number): MedicationRequest {
  const drug = SUPPORTIVE[i % SUPPORTIVE.length] as (typeof SUPPORTIVE)[number];
  return {
    resourceType: 'MedicationRequest',
    id: `hist-order-${i}`,
    status: STATUSES[i % STATUSES.length] as MedicationRequest['status'],
    intent: 'order',
    medicationCodeableConcept: cc(RXNORM, drug.rxnorm, drug.display),
    subject,
    authoredOn: day(now, 20 + i * 9),
    dosageInstruction: [{ text: drug.text, timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } } }],
  };
}

function statement(now: Date, i: number): MedicationStatement {
  const drug = SUPPORTIVE[(i + 3) % SUPPORTIVE.length] as (typeof SUPPORTIVE)[number];
  return {
    resourceType: 'MedicationStatement',
    id: `hist-statement-${i}`,
    status: i % 4 === 0 ? 'active' : 'completed',
    medicationCodeableConcept: cc(RXNORM, drug.rxnorm, drug.display),
    subject,
    effectivePeriod: { start: day(now, 40 + i * 15), end: day(now, 10 + i * 15) },
    dateAsserted: day(now, 10 + i * 15),
  };
}

function comorbidity(now: Date, i: number): Condition {
  const c = COMORBIDITIES[i % COMORBIDITIES.length] as (typeof COMORBIDITIES)[number];
  return {
    resourceType: 'Condition',
    id: `hist-condition-${i}`,
    clinicalStatus: cc('http://terminology.hl7.org/CodeSystem/condition-clinical', i % 5 === 4 ? 'resolved' : 'active', i % 5 === 4 ? 'Resolved' : 'Active'),
    verificationStatus: cc('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'confirmed', 'Confirmed'),
    category: [cc('http://terminology.hl7.org/CodeSystem/condition-category', 'problem-list-item', 'Problem List Item')],
    code: cc(ICD10, c.code, c.display),
    subject,
    recordedDate: day(now, 600 + i * 20),
  };
}

function olderDiseaseStatus(now: Date, i: number): Observation {
  return {
    resourceType: 'Observation',
    id: `hist-disease-status-${i}`,
    status: 'final',
    code: cc(LOINC, '97509-4', 'Cancer disease progression'),
    subject,
    focus: [{ reference: 'Condition/bench-gist' }],
    // Older than the current "stable" assessment (21 days ago), every ~3 months.
    effectiveDateTime: day(now, 60 + i * 90),
    valueCodeableConcept: cc(SNOMED, i % 3 === 2 ? '268910001' : '359746009', i % 3 === 2 ? "Patient's condition improved (finding)" : "Patient's condition stable (finding)"),
  };
}

/**
 * The bench patient with history up to `size` resources in all (at least the bench patient's own 14). Shares:
 * labs 62%, medication orders 24% (a fifth of them earlier imatinib renewals), statements 7%, conditions 5%,
 * disease status 2%.
 */
export function patientRecord(now: Date, size: number): FhirResource[] {
  const base = patientResources(now);
  const extra = Math.max(0, size - base.length);
  const share = (p: number) => Math.floor(extra * p);
  const orders = share(0.24);
  const imatinibOrders = Math.floor(orders / 5);
  const statements = share(0.07);
  const conditions = share(0.05);
  const statuses = share(0.02);
  const labs = extra - orders - statements - conditions - statuses;
  const history: FhirResource[] = [];
  for (let i = 0; i < labs; i++) history.push(serialLab(now, i % LABS.length, Math.floor(i / LABS.length)));
  for (let i = 0; i < imatinibOrders; i++) history.push(pastImatinib(now, i));
  for (let i = 0; i < orders - imatinibOrders; i++) history.push(supportiveOrder(now, i));
  for (let i = 0; i < statements; i++) history.push(statement(now, i));
  for (let i = 0; i < conditions; i++) history.push(comorbidity(now, i));
  for (let i = 0; i < statuses; i++) history.push(olderDiseaseStatus(now, i));
  return [...base, ...history];
}
