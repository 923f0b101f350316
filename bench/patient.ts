/**
 * The benchmark's patient and CDS Hooks requests: a man with metastatic gastric GIST (KIT exon 9), on imatinib
 * 400 mg daily, whose oncologist renews 400 mg once daily (the service suggests 800 mg/day for KIT exon 9). Real FHIR R4 shapes (mCODE / Genomics Reporting
 * profiles, UCUM units, LOINC / ICD-10-CM / SNOMED / RxNorm codes), dated relative to the bench's start so the
 * service's look-back windows see the labs as recent. Kept under bench/ (not test/helpers) so it compiles with
 * tsconfig.build.json; the shapes follow test/helpers/fhir-builders.ts.
 */
import type {
  Bundle,
  CodeableConcept,
  Coding,
  Condition,
  Dosage,
  FhirResource,
  MedicationRequest,
  Observation,
  ObservationComponent,
  Patient,
} from 'fhir/r4';

export const BENCH_PATIENT_ID = 'bench-gist-1';
export const SERVICE_ID = 'imatinib-order-sign';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';
const HGNC = 'http://www.genenames.org';
const HGVS = 'http://varnomen.hgvs.org';

const subject = { reference: `Patient/${BENCH_PATIENT_ID}` };

function cc(system: string, code: string, display?: string): CodeableConcept {
  const coding: Coding = display === undefined ? { system, code } : { system, code, display };
  return { coding: [coding] };
}

function day(now: Date, daysAgo: number): string {
  return new Date(now.getTime() - daysAgo * 86_400_000).toISOString().slice(0, 10);
}

function instant(now: Date, daysAgo: number): string {
  return new Date(now.getTime() - daysAgo * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const laboratory = [cc('http://terminology.hl7.org/CodeSystem/observation-category', 'laboratory', 'Laboratory')];

function lab(id: string, loinc: string, display: string, value: number, unit: string, when: string, range?: { low?: number; high?: number }): Observation {
  const q = { value, unit, system: UCUM, code: unit };
  const obs: Observation = {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: cc(LOINC, loinc, display),
    subject,
    effectiveDateTime: when,
    valueQuantity: q,
  };
  if (range) {
    obs.referenceRange = [
      {
        ...(range.low !== undefined ? { low: { value: range.low, unit, system: UCUM, code: unit } } : {}),
        ...(range.high !== undefined ? { high: { value: range.high, unit, system: UCUM, code: unit } } : {}),
      },
    ];
  }
  return obs;
}

function component(loinc: string, display: string, value: Partial<ObservationComponent>): ObservationComponent {
  return { code: cc(LOINC, loinc, display), ...value };
}

function dailyTablets(tablets: number, perDay: number, text: string): Dosage {
  return {
    text,
    timing: { repeat: { frequency: perDay, period: 1, periodUnit: 'd' } },
    route: cc(SNOMED, '26643006', 'Oral route'),
    doseAndRate: [{ doseQuantity: { value: tablets, unit: 'tablet', system: UCUM, code: '{tbl}' } }],
  };
}

function imatinib400(id: string, status: MedicationRequest['status'], authoredOn: string, perDay: number): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    status,
    intent: 'order',
    medicationCodeableConcept: cc(RXNORM, '403879', 'imatinib 400 MG Oral Tablet'),
    subject,
    authoredOn,
    requester: { reference: 'Practitioner/onc-1', display: 'Dr. A. Oncologist' },
    reasonReference: [{ reference: 'Condition/bench-gist' }],
    dosageInstruction: [dailyTablets(1, perDay, perDay === 1 ? '400 mg by mouth once daily with food' : '400 mg by mouth twice daily with food')],
    ...(status === 'draft'
      ? { dispenseRequest: { quantity: { value: 30 * perDay, unit: 'tablet', system: UCUM, code: '{tbl}' }, expectedSupplyDuration: { value: 30, unit: 'days', system: UCUM, code: 'd' } } }
      : {}),
  };
}

/**
 * The draft order being signed: a renewal of imatinib 400 mg once daily. With advanced KIT exon 9 GIST the
 * service answers one card suggesting 400 mg twice daily, so the run covers rules, cards and the card store.
 */
export function imatinibDraftOrder(now: Date): MedicationRequest {
  return imatinib400('bench-imatinib-draft', 'draft', day(now, 0), 1);
}

/** A draft order that is not imatinib (most order-sign calls in real traffic). */
export function amoxicillinDraftOrder(now: Date): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: 'bench-amoxicillin-draft',
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: cc(RXNORM, '308191', 'amoxicillin 500 MG Oral Capsule'),
    subject,
    authoredOn: day(now, 0),
    requester: { reference: 'Practitioner/gp-1', display: 'Dr. B. General' },
    dosageInstruction: [
      {
        text: '500 mg by mouth three times daily for 7 days',
        timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd', boundsDuration: { value: 7, unit: 'days', system: UCUM, code: 'd' } } },
        route: cc(SNOMED, '26643006', 'Oral route'),
        doseAndRate: [{ doseQuantity: { value: 1, unit: 'capsule', system: UCUM, code: '{capsule}' } }],
      },
    ],
  };
}

/** Everything the FHIR server holds for the patient (and a complete prefetch contains). */
export function patientResources(now: Date): FhirResource[] {
  const patient: Patient = {
    resourceType: 'Patient',
    id: BENCH_PATIENT_ID,
    meta: { profile: ['http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-patient'] },
    identifier: [{ system: 'urn:oid:1.2.36.146.595.217.0.1', value: 'MRN-4471923' }],
    active: true,
    name: [{ use: 'official', family: 'Okafor', given: ['Daniel', 'James'] }],
    gender: 'male',
    birthDate: '1961-04-17',
    address: [{ city: 'Springfield', state: 'IL', postalCode: '62701', country: 'US' }],
  };

  const gist: Condition = {
    resourceType: 'Condition',
    id: 'bench-gist',
    clinicalStatus: cc('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active'),
    verificationStatus: cc('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'confirmed'),
    code: {
      coding: [
        { system: ICD10, code: 'C49.A2', display: 'Gastrointestinal stromal tumor of stomach' },
        { system: SNOMED, code: '420120006', display: 'Gastrointestinal stromal tumor' },
      ],
      text: 'GIST of stomach',
    },
    bodySite: [cc(SNOMED, '69695003', 'Stomach structure')],
    subject,
    onsetDateTime: day(now, 420),
    recordedDate: day(now, 415),
  };
  const metastasis: Condition = {
    resourceType: 'Condition',
    id: 'bench-liver-mets',
    clinicalStatus: cc('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active'),
    verificationStatus: cc('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'confirmed'),
    code: { coding: [{ system: ICD10, code: 'C78.7', display: 'Secondary malignant neoplasm of liver and intrahepatic bile duct' }] },
    subject,
    recordedDate: day(now, 400),
  };

  const variant: Observation = {
    resourceType: 'Observation',
    id: 'bench-kit-exon9',
    meta: { profile: ['http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant'] },
    status: 'final',
    category: laboratory,
    code: cc(LOINC, '69548-6', 'Genetic variant assessment'),
    subject,
    effectiveDateTime: day(now, 405),
    valueCodeableConcept: cc(LOINC, 'LA9633-4', 'Present'),
    component: [
      component('48018-6', 'Gene studied [ID]', { valueCodeableConcept: cc(HGNC, 'HGNC:6342', 'KIT') }),
      component('47999-8', 'DNA region name [Identifier]', { valueString: 'Exon 9' }),
      component('48004-6', 'DNA change (c.HGVS)', { valueCodeableConcept: cc(HGVS, 'NM_000222.3:c.1504_1509dup') }),
      component('48005-3', 'Amino acid change (pHGVS)', { valueCodeableConcept: cc(HGVS, 'NP_000213.1:p.(Ala502_Tyr503dup)') }),
    ],
  };
  const status: Observation = {
    resourceType: 'Observation',
    id: 'bench-disease-status',
    meta: { profile: ['http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status'] },
    status: 'final',
    code: cc(LOINC, '97509-4', 'Cancer disease progression'),
    subject,
    focus: [{ reference: 'Condition/bench-gist' }],
    effectiveDateTime: day(now, 21),
    valueCodeableConcept: cc(SNOMED, '359746009', "Patient's condition stable (finding)"),
  };
  const recent = instant(now, 4);
  // Displays are LOINC short names, as many EHRs send them.
  const labs: Observation[] = [
    lab('bench-anc', '751-8', 'Neutrophils # Bld Auto', 3.1, '10*9/L', recent),
    lab('bench-plt', '777-3', 'Platelets # Bld Auto', 212, '10*9/L', recent),
    lab('bench-bili', '1975-2', 'Bilirub SerPl-mCnc', 0.8, 'mg/dL', recent, { low: 0.1, high: 1.2 }),
    lab('bench-alt', '1742-6', 'ALT SerPl-cCnc', 28, 'U/L', recent, { high: 41 }),
    lab('bench-ast', '1920-8', 'AST SerPl-cCnc', 31, 'U/L', recent, { high: 40 }),
    lab('bench-crcl', '35591-7', 'Creat Cl pred C-G', 74, 'mL/min', recent),
  ];

  const currentImatinib = imatinib400('bench-imatinib-current', 'active', day(now, 380), 1);
  const omeprazole: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: 'bench-omeprazole',
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: cc(RXNORM, '198053', 'omeprazole 20 MG Delayed Release Oral Capsule'),
    subject,
    authoredOn: day(now, 200),
    dosageInstruction: [dailyTablets(1, 1, '20 mg by mouth once daily before breakfast')],
  };
  return [patient, gist, metastasis, variant, status, ...labs, currentImatinib, omeprazole];
}

function searchset(resources: FhirResource[]): Bundle {
  return { resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id}`, resource })) };
}

function codes(r: FhirResource): string[] {
  return ((r as Observation).code?.coding ?? []).map((c) => `${c.system}|${c.code}`);
}

/**
 * A complete prefetch for the service's templates (hooks/imatinib-order-sign.json): each key gets what a FHIR
 * server would answer for its query (resource type; for Observations the codes listed in the template).
 */
export function completePrefetch(templates: Record<string, string>, resources: FhirResource[]): Record<string, FhirResource | null> {
  const out: Record<string, FhirResource | null> = {};
  for (const [key, template] of Object.entries(templates)) {
    const [typePart = '', query = ''] = template.split('?');
    const type = typePart.split('/')[0];
    const code = new URLSearchParams(query).get('code');
    const wanted = code ? new Set(code.split(',')) : undefined;
    const found = resources.filter((r) => r.resourceType === type && (!wanted || codes(r).some((c) => wanted.has(c))));
    out[key] = template.includes('?') ? searchset(found) : (found[0] ?? null);
  }
  return out;
}

/** Resources a prefetch carries: a read key counts one, a search key its entries (what the service parses). */
export function prefetchResourceCount(prefetch: Record<string, FhirResource | null>): number {
  let n = 0;
  for (const value of Object.values(prefetch)) {
    if (!value) continue;
    n += value.resourceType === 'Bundle' ? (value.entry ?? []).length : 1;
  }
  return n;
}

/** Placeholder replaced per request with a fresh hookInstance (see splitBody). */
export const HOOK_INSTANCE_PLACEHOLDER = '00000000-0000-4000-8000-000000000000';

export interface BodyOptions {
  order: MedicationRequest;
  prefetch?: Record<string, FhirResource | null>;
  fhirServer?: string;
  fhirAccessToken?: string;
}

/** An order-sign request body (JSON text) with the placeholder hookInstance. */
export function orderSignBody(o: BodyOptions): string {
  const body: Record<string, unknown> = {
    hookInstance: HOOK_INSTANCE_PLACEHOLDER,
    hook: 'order-sign',
    context: {
      userId: 'Practitioner/onc-1',
      patientId: BENCH_PATIENT_ID,
      encounterId: 'bench-encounter-1',
      draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: `urn:uuid:${o.order.id}`, resource: o.order }] },
    },
  };
  if (o.fhirServer) body.fhirServer = o.fhirServer;
  if (o.fhirAccessToken) body.fhirAuthorization = { access_token: o.fhirAccessToken, token_type: 'Bearer', expires_in: 300, scope: 'user/Patient.read user/Condition.read user/Observation.read user/MedicationRequest.read user/MedicationStatement.read', subject: 'imatinib-cds' };
  if (o.prefetch) body.prefetch = o.prefetch;
  return JSON.stringify(body);
}

/** The body split around the hookInstance placeholder: a request is `pre + uuid + post`. */
export function splitBody(body: string): [string, string] {
  const at = body.indexOf(HOOK_INSTANCE_PLACEHOLDER);
  if (at === -1) throw new Error('body has no hookInstance placeholder');
  return [body.slice(0, at), body.slice(at + HOOK_INSTANCE_PLACEHOLDER.length)];
}
