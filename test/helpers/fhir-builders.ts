/**
 * Small builders for FHIR R4 test data, so clinical tests read like the situation they describe.
 *
 * Every builder returns a plain FHIR R4 resource (types from 'fhir/r4') with a fresh id, subject
 * `Patient/${PATIENT_ID}`, status "final"/"active" unless told otherwise, and dates as ISO strings.
 * Pass `id` to fix an id; pass any other FHIR field through `extra` where offered, or spread the result.
 *
 * Dates: tests usually evaluate at NOW (2026-06-01T12:00:00Z). `daysAgo(10)` gives "2026-05-22".
 *
 *   import { NOW, daysAgo, gistCondition, variantObservation, lab, imatinibOrder, bundle } from '../../helpers/fhir-builders';
 *   const resources = [
 *     gistCondition(),                                            // ICD-10-CM C49.A2, active
 *     metastasisCondition(),                                      // ICD-10-CM C78.7 (liver)
 *     variantObservation({ gene: 'KIT', exon: '9' }),             // KIT exon 9, Present, final
 *     variantObservation({ gene: 'PDGFRA', pHgvs: 'p.Asp842Val' }),
 *     variantObservation({ gene: 'KIT', value: 'absent' }),       // tested, no variant
 *     lab(LOINC.anc, 0.8, '10*9/L', daysAgo(3)),                  // ANC 0.8 ×10^9/L
 *     lab(LOINC.alt, 250, 'U/L', daysAgo(3), 40),                 // ALT with ULN 40 U/L
 *     diseaseStatus('worsened', daysAgo(20)),
 *     medicationRequest({ rxnorm: '9384', display: 'rifampin' }), // active co-medication
 *     imatinibRecord({ status: 'active', start: daysAgo(400), tablets: 1, frequency: 1 }), // current therapy 400 mg/day
 *   ];
 *   const order = imatinibOrder({ rxnorm: '403879', tablets: 1, frequency: 2 }); // 400 mg tablet BID, draft
 *   const draftOrders = bundle([order]);
 *
 * Builders: condition, gistCondition, metastasisCondition, variantObservation, regionStudied, legacyKitTest,
 * diseaseStatus, tnmDistantMetastasis, lab, pregnancyStatus, hcgTest, medicationRequest, medicationStatement,
 * imatinibOrder, imatinibRecord, dosage, medication, bundle, ref.
 */
import type {
  Bundle,
  CodeableConcept,
  Coding,
  Condition,
  Dosage,
  Extension,
  FhirResource,
  Medication,
  MedicationRequest,
  MedicationStatement,
  Observation,
  ObservationComponent,
  Resource,
} from 'fhir/r4';

export const PATIENT_ID = 'pat-1';
export const NOW = new Date('2026-06-01T12:00:00Z');

export const SYSTEMS = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  hgnc: 'http://www.genenames.org',
  ucum: 'http://unitsofmeasure.org',
  hgvs: 'http://varnomen.hgvs.org',
  gts: 'http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVer: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
} as const;

/** LOINC codes the service reads, by name. */
export const LOINC = {
  anc: '751-8',
  ancManual: '753-4',
  ancAny: '26499-4',
  neutrophilPercent: '26511-6',
  platelets: '777-3',
  plateletsAny: '26515-7',
  bilirubin: '1975-2',
  bilirubinMolar: '14631-6',
  alt: '1742-6',
  ast: '1920-8',
  crcl24h: '2164-2',
  crclCockcroftGault: '35591-7',
  egfr: '98979-8',
  egfrCkdEpi2009: '62238-1',
  egfrMdrd: '33914-3',
  pregnancyStatus: '82810-3',
  hcgSerum: '2106-3',
  hcgUrine: '2118-8',
  diseaseStatus: '97509-4',
  variant: '69548-6',
  regionStudied: '53041-0',
  kitLegacy: '55201-8',
  geneStudied: '48018-6',
  dnaRegion: '47999-8',
  cHgvs: '48004-6',
  pHgvs: '48005-3',
  gHgvs: '81290-9',
} as const;

export const GENE_HGNC: Record<string, string> = {
  KIT: 'HGNC:6342',
  PDGFRA: 'HGNC:8803',
  SDHA: 'HGNC:10680',
  SDHB: 'HGNC:10681',
  SDHC: 'HGNC:10682',
  SDHD: 'HGNC:10683',
  NF1: 'HGNC:7765',
  BRAF: 'HGNC:1097',
  EGFR: 'HGNC:3236',
};

let counter = 0;
/** A fresh id, unique within the test run. */
export function nextId(prefix = 'r'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** ISO date (YYYY-MM-DD) `n` days before `from` (default NOW). Negative n = in the future. */
export function daysAgo(n: number, from: Date = NOW): string {
  return new Date(from.getTime() - n * 86_400_000).toISOString().slice(0, 10);
}

/** "Type/id" of a resource. */
export function ref(r: Resource): string {
  return `${r.resourceType}/${r.id ?? ''}`;
}

const subject = { reference: `Patient/${PATIENT_ID}` };

function coding(system: string, code: string, display?: string): Coding {
  return display === undefined ? { system, code } : { system, code, display };
}

function cc(system: string, code: string, display?: string): CodeableConcept {
  return { coding: [coding(system, code, display)] };
}

// ---------------------------------------------------------------- Conditions

export interface ConditionOptions {
  id?: string;
  icd10?: string;
  snomed?: string;
  /** Any coding, when neither icd10 nor snomed fits. */
  coding?: Coding;
  text?: string;
  /** Default "active"; null = omit clinicalStatus. */
  clinicalStatus?: 'active' | 'recurrence' | 'relapse' | 'inactive' | 'remission' | 'resolved' | null;
  /** Default "confirmed"; null = omit. */
  verificationStatus?: 'confirmed' | 'provisional' | 'differential' | 'unconfirmed' | 'refuted' | 'entered-in-error' | null;
  /** Condition.stage[0].summary.text, e.g. "metastatic". */
  stageSummaryText?: string;
  /** Condition.stage[0].summary coding (e.g. SNOMED stage group IV). */
  stageSummaryCoding?: Coding;
  onset?: string;
  abatement?: string;
  recordedDate?: string;
}

export function condition(o: ConditionOptions): Condition {
  const codings: Coding[] = [];
  if (o.icd10) codings.push(coding(SYSTEMS.icd10cm, o.icd10));
  if (o.snomed) codings.push(coding(SYSTEMS.snomed, o.snomed));
  if (o.coding) codings.push(o.coding);
  const c: Condition = {
    resourceType: 'Condition',
    id: o.id ?? nextId('cond'),
    subject,
    code: { ...(codings.length ? { coding: codings } : {}), ...(o.text ? { text: o.text } : {}) },
  };
  if (o.clinicalStatus !== null) c.clinicalStatus = cc(SYSTEMS.conditionClinical, o.clinicalStatus ?? 'active');
  if (o.verificationStatus !== null) c.verificationStatus = cc(SYSTEMS.conditionVer, o.verificationStatus ?? 'confirmed');
  if (o.stageSummaryText || o.stageSummaryCoding) {
    c.stage = [
      {
        summary: {
          ...(o.stageSummaryCoding ? { coding: [o.stageSummaryCoding] } : {}),
          ...(o.stageSummaryText ? { text: o.stageSummaryText } : {}),
        },
      },
    ];
  }
  if (o.onset) c.onsetDateTime = o.onset;
  if (o.abatement) c.abatementDateTime = o.abatement;
  if (o.recordedDate) c.recordedDate = o.recordedDate;
  return c;
}

/** GIST of the stomach (ICD-10-CM C49.A2) unless codes are given. */
export function gistCondition(o: ConditionOptions = {}): Condition {
  const coded = o.icd10 !== undefined || o.snomed !== undefined || o.coding !== undefined;
  return condition({ ...(coded ? {} : { icd10: 'C49.A2' }), recordedDate: '2025-01-10', ...o });
}

/** Liver metastasis (ICD-10-CM C78.7) unless codes are given. */
export function metastasisCondition(o: ConditionOptions = {}): Condition {
  const coded = o.icd10 !== undefined || o.snomed !== undefined || o.coding !== undefined;
  return condition({ ...(coded ? {} : { icd10: 'C78.7' }), recordedDate: '2025-02-01', ...o });
}

// ---------------------------------------------------------------- Genomics

type ObsStatus = Observation['status'];

export interface VariantOptions {
  id?: string;
  /** Gene symbol from GENE_HGNC (KIT, PDGFRA, SDHB, NF1 …); coded as HGNC:n with the display = symbol. */
  gene?: string;
  /** Override the gene coding entirely (e.g. bare "6342", another system, or a swapped display). */
  geneCoding?: Coding;
  /** DNA region, e.g. "9", "Exon 9", "exon #11". */
  exon?: string;
  /** Put the exon in the R4 extension observation-geneticsDNARegionName instead of component 47999-8. */
  exonAsExtension?: boolean;
  cHgvs?: string;
  pHgvs?: string;
  gHgvs?: string;
  /** HGVS as valueString instead of valueCodeableConcept (both occur). */
  hgvsAsString?: boolean;
  /** Default 'present'; 'none' omits value[x]. */
  value?: 'present' | 'absent' | 'none';
  status?: ObsStatus;
  date?: string;
  /** Default LOINC 69548-6. Pass null to omit the code coding and rely on meta.profile. */
  loincCode?: string | null;
  profile?: string;
}

function component(loinc: string, value: Partial<ObservationComponent>): ObservationComponent {
  return { code: cc(SYSTEMS.loinc, loinc), ...value };
}

function hgvsComponent(loinc: string, hgvs: string, asString: boolean | undefined): ObservationComponent {
  return component(loinc, asString ? { valueString: hgvs } : { valueCodeableConcept: cc(SYSTEMS.hgvs, hgvs) });
}

function geneCodingFor(gene: string): Coding {
  const code = GENE_HGNC[gene];
  if (!code) throw new Error(`fhir-builders: unknown gene ${gene}; pass geneCoding`);
  return coding(SYSTEMS.hgnc, code, gene);
}

/** A Genomics Reporting / mCODE variant Observation (LOINC 69548-6). Default: KIT, value Present, final. */
export function variantObservation(o: VariantOptions = {}): Observation {
  const comps: ObservationComponent[] = [component(LOINC.geneStudied, { valueCodeableConcept: { coding: [o.geneCoding ?? geneCodingFor(o.gene ?? 'KIT')] } })];
  const ext: Extension[] = [];
  if (o.exon !== undefined) {
    if (o.exonAsExtension) ext.push({ url: 'http://hl7.org/fhir/StructureDefinition/observation-geneticsDNARegionName', valueString: o.exon });
    else comps.push(component(LOINC.dnaRegion, { valueString: o.exon }));
  }
  if (o.cHgvs) comps.push(hgvsComponent(LOINC.cHgvs, o.cHgvs, o.hgvsAsString));
  if (o.pHgvs) comps.push(hgvsComponent(LOINC.pHgvs, o.pHgvs, o.hgvsAsString));
  if (o.gHgvs) comps.push(hgvsComponent(LOINC.gHgvs, o.gHgvs, o.hgvsAsString));
  const obs: Observation = {
    resourceType: 'Observation',
    id: o.id ?? nextId('var'),
    meta: { profile: [o.profile ?? 'http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant'] },
    status: o.status ?? 'final',
    code: o.loincCode === null ? { text: 'Genetic variant' } : cc(SYSTEMS.loinc, o.loincCode ?? LOINC.variant),
    subject,
    effectiveDateTime: o.date ?? '2025-01-20',
    component: comps,
  };
  if (ext.length) obs.extension = ext;
  const value = o.value ?? 'present';
  if (value === 'present') obs.valueCodeableConcept = cc(SYSTEMS.loinc, 'LA9633-4', 'Present');
  if (value === 'absent') obs.valueCodeableConcept = cc(SYSTEMS.loinc, 'LA9634-2', 'Absent');
  return obs;
}

/** A region-studied Observation (LOINC 53041-0) naming the genes studied. */
export function regionStudied(genes: string[] = ['KIT', 'PDGFRA'], o: { id?: string; status?: ObsStatus; date?: string } = {}): Observation {
  return {
    resourceType: 'Observation',
    id: o.id ?? nextId('region'),
    status: o.status ?? 'final',
    code: cc(SYSTEMS.loinc, LOINC.regionStudied, 'DNA region of interest panel'),
    subject,
    effectiveDateTime: o.date ?? '2025-01-20',
    component: [component(LOINC.geneStudied, { valueCodeableConcept: { coding: genes.map(geneCodingFor) } })],
  };
}

/** The legacy single-test KIT result (LOINC 55201-8), coded Negative/Positive or a string. */
export function legacyKitTest(result: 'negative' | 'positive' | { text: string }, o: { id?: string; status?: ObsStatus; date?: string } = {}): Observation {
  const obs: Observation = {
    resourceType: 'Observation',
    id: o.id ?? nextId('kit55201'),
    status: o.status ?? 'final',
    code: cc(SYSTEMS.loinc, LOINC.kitLegacy, 'KIT gene mutation analysis in Blood or Tissue by Molecular genetics method Narrative'),
    subject,
    effectiveDateTime: o.date ?? '2025-01-20',
  };
  if (result === 'negative') obs.valueCodeableConcept = cc(SYSTEMS.snomed, '260385009', 'Negative');
  else if (result === 'positive') obs.valueCodeableConcept = cc(SYSTEMS.snomed, '10828004', 'Positive');
  else obs.valueString = result.text;
  return obs;
}

// ---------------------------------------------------------------- Disease status and staging

export const DISEASE_STATUS = {
  worsened: ['271299001', "Patient's condition worsened (finding)"],
  improved: ['268910001', "Patient's condition improved (finding)"],
  stable: ['359746009', "Patient's condition stable (finding)"],
  undetermined: ['709137006', 'Patient condition undetermined (finding)'],
  'not-detected': ['260415000', 'Not detected (qualifier value)'],
} as const;

/** mCODE CancerDiseaseStatus (LOINC 97509-4). */
export function diseaseStatus(status: keyof typeof DISEASE_STATUS, date: string, o: { id?: string; obsStatus?: ObsStatus } = {}): Observation {
  const [code, display] = DISEASE_STATUS[status];
  return {
    resourceType: 'Observation',
    id: o.id ?? nextId('status'),
    meta: { profile: ['http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status'] },
    status: o.obsStatus ?? 'final',
    code: cc(SYSTEMS.loinc, LOINC.diseaseStatus, 'Cancer disease progression'),
    subject,
    effectiveDateTime: date,
    valueCodeableConcept: cc(SYSTEMS.snomed, code, display),
  };
}

/** mCODE TNM distant-metastases Observation. Default code SNOMED 399387003 (cM category), value cM1 1229903009. */
export function tnmDistantMetastasis(o: { id?: string; code?: Coding; value?: Coding; status?: ObsStatus; date?: string } = {}): Observation {
  return {
    resourceType: 'Observation',
    id: o.id ?? nextId('tnm-m'),
    status: o.status ?? 'final',
    code: { coding: [o.code ?? coding(SYSTEMS.snomed, '399387003', 'cM category')] },
    subject,
    effectiveDateTime: o.date ?? '2025-02-01',
    valueCodeableConcept: { coding: [o.value ?? coding(SYSTEMS.snomed, '1229903009', 'American Joint Committee on Cancer cM1 (qualifier value)')] },
  };
}

// ---------------------------------------------------------------- Labs

export interface LabOptions {
  id?: string;
  status?: ObsStatus;
  /** Put the unit only in `unit` text (no UCUM system/code), as some EHRs do. */
  unitTextOnly?: boolean;
  /** Unit text when it differs from the UCUM code (e.g. code "10*3/uL", text "K/uL"). */
  unitText?: string;
  /** Lower limit of normal, in the same unit. */
  lln?: number;
}

/** A lab Observation with valueQuantity in `unit` (a UCUM code), dated `date`, with optional ULN (referenceRange.high, same unit). */
export function lab(loinc: string, value: number, unit: string, date: string, uln?: number, o: LabOptions = {}): Observation {
  const quantity = o.unitTextOnly ? { value, unit: o.unitText ?? unit } : { value, unit: o.unitText ?? unit, system: SYSTEMS.ucum, code: unit };
  const obs: Observation = {
    resourceType: 'Observation',
    id: o.id ?? nextId('lab'),
    status: o.status ?? 'final',
    category: [cc('http://terminology.hl7.org/CodeSystem/observation-category', 'laboratory')],
    code: cc(SYSTEMS.loinc, loinc),
    subject,
    effectiveDateTime: date,
    valueQuantity: quantity,
  };
  if (uln !== undefined || o.lln !== undefined) {
    const unitPart = o.unitTextOnly ? { unit: o.unitText ?? unit } : { unit: o.unitText ?? unit, system: SYSTEMS.ucum, code: unit };
    obs.referenceRange = [
      {
        ...(o.lln !== undefined ? { low: { value: o.lln, ...unitPart } } : {}),
        ...(uln !== undefined ? { high: { value: uln, ...unitPart } } : {}),
      },
    ];
  }
  return obs;
}

// ---------------------------------------------------------------- Pregnancy

/** Pregnancy status (LOINC 82810-3), valued with the LOINC answer (default) or SNOMED code. */
export function pregnancyStatus(pregnant: boolean, date: string, o: { id?: string; snomed?: boolean; status?: ObsStatus } = {}): Observation {
  const value = o.snomed
    ? pregnant
      ? cc(SYSTEMS.snomed, '77386006', 'Pregnant')
      : cc(SYSTEMS.snomed, '60001007', 'Not pregnant')
    : pregnant
      ? cc(SYSTEMS.loinc, 'LA15173-0', 'Pregnant')
      : cc(SYSTEMS.loinc, 'LA26683-5', 'Not pregnant');
  return {
    resourceType: 'Observation',
    id: o.id ?? nextId('preg'),
    status: o.status ?? 'final',
    code: cc(SYSTEMS.loinc, LOINC.pregnancyStatus, 'Pregnancy status'),
    subject,
    effectiveDateTime: date,
    valueCodeableConcept: value,
  };
}

/** hCG test (default serum 2106-3) valued Positive/Negative (SNOMED) or with a string. */
export function hcgTest(result: 'positive' | 'negative' | { text: string }, date: string, o: { id?: string; loinc?: string; status?: ObsStatus } = {}): Observation {
  const obs: Observation = {
    resourceType: 'Observation',
    id: o.id ?? nextId('hcg'),
    status: o.status ?? 'final',
    code: cc(SYSTEMS.loinc, o.loinc ?? LOINC.hcgSerum),
    subject,
    effectiveDateTime: date,
  };
  if (result === 'positive') obs.valueCodeableConcept = cc(SYSTEMS.snomed, '10828004', 'Positive');
  else if (result === 'negative') obs.valueCodeableConcept = cc(SYSTEMS.snomed, '260385009', 'Negative');
  else obs.valueString = result.text;
  return obs;
}

// ---------------------------------------------------------------- Medications and dosing

export interface DosageOptions {
  /** Dose in mg (UCUM mg). */
  mg?: number;
  /** Dose in g (UCUM g). */
  g?: number;
  /** Dose as a count of tablets ({tbl}). */
  tablets?: number;
  /** Dose as a count of capsules ({capsule}). */
  capsules?: number;
  /** Any dose quantity. */
  quantity?: { value: number; unit?: string; code?: string; system?: string };
  /** Upper bound of a doseRange (low = 1/2 of it unless given). */
  rangeHigh?: { value: number; unit?: string; code?: string };
  /** Put the dose at dosageInstruction.doseQuantity (STU3 shape) instead of doseAndRate. */
  stu3?: boolean;
  /** timing.repeat.frequency (default 1 when a dose is given and neither code nor noTiming is set). */
  frequency?: number;
  period?: number;
  periodUnit?: 's' | 'min' | 'h' | 'd' | 'wk' | 'mo' | 'a';
  /** timing.code (GTS abbreviation, e.g. "BID"). */
  code?: string;
  /** No timing at all. */
  noTiming?: boolean;
  text?: string;
  sequence?: number;
}

/** One Dosage. `dosage({ mg: 400, frequency: 2 })` = 400 mg twice daily. */
export function dosage(o: DosageOptions): Dosage {
  const d: Dosage = {};
  if (o.sequence !== undefined) d.sequence = o.sequence;
  if (o.text !== undefined) d.text = o.text;
  let q: { value: number; unit?: string; code?: string; system?: string } | undefined;
  if (o.mg !== undefined) q = { value: o.mg, unit: 'mg', system: SYSTEMS.ucum, code: 'mg' };
  else if (o.g !== undefined) q = { value: o.g, unit: 'g', system: SYSTEMS.ucum, code: 'g' };
  else if (o.tablets !== undefined) q = { value: o.tablets, unit: 'tablet', system: SYSTEMS.ucum, code: '{tbl}' };
  else if (o.capsules !== undefined) q = { value: o.capsules, unit: 'capsule', system: SYSTEMS.ucum, code: '{capsule}' };
  else if (o.quantity) q = o.quantity;
  if (o.rangeHigh) {
    const { value, ...unit } = o.rangeHigh;
    d.doseAndRate = [{ doseRange: { low: { value: value / 2, ...unit }, high: { value, ...unit } } }];
  } else if (q) {
    if (o.stu3) (d as Dosage & { doseQuantity?: typeof q }).doseQuantity = q;
    else d.doseAndRate = [{ doseQuantity: q }];
  }
  const hasDose = q !== undefined || o.rangeHigh !== undefined;
  if (!o.noTiming && (o.code !== undefined || o.frequency !== undefined || hasDose)) {
    d.timing = {};
    if (o.code !== undefined) d.timing.code = cc(SYSTEMS.gts, o.code);
    if (o.frequency !== undefined || o.code === undefined) {
      d.timing.repeat = { frequency: o.frequency ?? 1, period: o.period ?? 1, periodUnit: o.periodUnit ?? 'd' };
    }
  }
  return d;
}

export interface MedicationOptions {
  id?: string;
  /** RxNorm code in medicationCodeableConcept. */
  rxnorm?: string;
  /** Display of the RxNorm coding (or of `coding`). */
  display?: string;
  /** Any other coding (e.g. NDC) instead of / besides RxNorm. */
  coding?: Coding;
  /** medicationCodeableConcept.text. */
  text?: string;
  /** Refer to a Medication instead (e.g. `#med1` for contained, `Medication/abc`). */
  medicationReference?: string;
  contained?: Medication[];
  status?: MedicationRequest['status'];
  intent?: MedicationRequest['intent'];
  authoredOn?: string;
  dosageInstruction?: Dosage[];
}

function medicationConcept(o: Pick<MedicationOptions, 'rxnorm' | 'display' | 'coding' | 'text'>): CodeableConcept {
  const codings: Coding[] = [];
  if (o.rxnorm) codings.push(coding(SYSTEMS.rxnorm, o.rxnorm, o.display));
  if (o.coding) codings.push(o.display && !o.rxnorm ? { ...o.coding, display: o.display } : o.coding);
  const concept: CodeableConcept = {};
  if (codings.length) concept.coding = codings;
  if (o.text) concept.text = o.text;
  if (!codings.length && !o.text && o.display) concept.coding = [{ display: o.display }];
  return concept;
}

/** A MedicationRequest (default status active, intent order). */
export function medicationRequest(o: MedicationOptions = {}): MedicationRequest {
  const mr: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: o.id ?? nextId('mr'),
    status: o.status ?? 'active',
    intent: o.intent ?? 'order',
    subject,
  };
  if (o.contained) mr.contained = o.contained;
  if (o.medicationReference) mr.medicationReference = { reference: o.medicationReference };
  else mr.medicationCodeableConcept = medicationConcept(o);
  if (o.authoredOn) mr.authoredOn = o.authoredOn;
  if (o.dosageInstruction) mr.dosageInstruction = o.dosageInstruction;
  return mr;
}

export interface StatementOptions extends Omit<MedicationOptions, 'status' | 'intent' | 'authoredOn' | 'dosageInstruction'> {
  status?: MedicationStatement['status'];
  effectiveDateTime?: string;
  effectiveStart?: string;
  dosage?: Dosage[];
}

/** A MedicationStatement (default status active). */
export function medicationStatement(o: StatementOptions = {}): MedicationStatement {
  const ms: MedicationStatement = {
    resourceType: 'MedicationStatement',
    id: o.id ?? nextId('ms'),
    status: o.status ?? 'active',
    subject,
  };
  if (o.contained) ms.contained = o.contained;
  if (o.medicationReference) ms.medicationReference = { reference: o.medicationReference };
  else ms.medicationCodeableConcept = medicationConcept(o);
  if (o.effectiveDateTime) ms.effectiveDateTime = o.effectiveDateTime;
  if (o.effectiveStart) ms.effectivePeriod = { start: o.effectiveStart };
  if (o.dosage) ms.dosage = o.dosage;
  return ms;
}

/** A Medication resource, optionally with one ingredient strength in mg per `per` (default 1 tablet). */
export function medication(o: { id?: string; rxnorm?: string; text?: string; strengthMg?: number; per?: { value: number; unit: string; code?: string } } = {}): Medication {
  const m: Medication = { resourceType: 'Medication', id: o.id ?? nextId('med') };
  if (o.rxnorm || o.text) m.code = medicationConcept({ rxnorm: o.rxnorm, text: o.text });
  if (o.strengthMg !== undefined) {
    const per = o.per ?? { value: 1, unit: 'tablet', code: '{tbl}' };
    m.ingredient = [
      {
        itemCodeableConcept: cc(SYSTEMS.rxnorm, '282388', 'imatinib'),
        strength: {
          numerator: { value: o.strengthMg, unit: 'mg', system: SYSTEMS.ucum, code: 'mg' },
          denominator: { value: per.value, unit: per.unit, system: SYSTEMS.ucum, ...(per.code ? { code: per.code } : {}) },
        },
      },
    ];
  }
  return m;
}

export const IMATINIB_RXNORM = {
  ingredient: '282388',
  tablet100: '403878',
  tablet400: '403879',
  gleevec100: '404588',
  gleevec400: '404589',
} as const;

const IMATINIB_DISPLAY: Record<string, string> = {
  '403878': 'imatinib 100 MG Oral Tablet',
  '403879': 'imatinib 400 MG Oral Tablet',
  '404588': 'imatinib 100 MG Oral Tablet [Gleevec]',
  '404589': 'imatinib 400 MG Oral Tablet [Gleevec]',
  '282388': 'imatinib',
};

export interface ImatinibOrderOptions extends Omit<DosageOptions, 'sequence'> {
  id?: string;
  /** Default '403879' (400 mg tablet). */
  rxnorm?: string;
  status?: MedicationRequest['status'];
  authoredOn?: string;
  /** Replace the generated dosage entirely (several lines, free text …). */
  dosageInstruction?: Dosage[];
}

/**
 * A draft imatinib MedicationRequest. With neither mg/tablets/etc. nor dosageInstruction it is one 400 mg
 * tablet once daily. `imatinibOrder({ tablets: 1, frequency: 2 })` = 400 mg BID; `{ mg: 400, code: 'BID' }`
 * = 400 mg by timing.code.
 */
export function imatinibOrder(o: ImatinibOrderOptions = {}): MedicationRequest {
  const rxnorm = o.rxnorm ?? IMATINIB_RXNORM.tablet400;
  const { id, status, authoredOn, dosageInstruction, rxnorm: _r, ...dose } = o;
  const hasDose = ['mg', 'g', 'tablets', 'capsules', 'quantity', 'rangeHigh', 'text'].some((k) => k in dose);
  return medicationRequest({
    id: id ?? nextId('imatinib-order'),
    rxnorm,
    display: IMATINIB_DISPLAY[rxnorm],
    status: status ?? 'draft',
    authoredOn: authoredOn ?? NOW.toISOString().slice(0, 10),
    dosageInstruction: dosageInstruction ?? [dosage(hasDose ? dose : { tablets: 1, ...dose })],
  });
}

/**
 * An imatinib record in the patient's history (MedicationRequest by default, or MedicationStatement).
 * Default: active, started 2025-03-01, one 400 mg tablet once daily.
 */
export function imatinibRecord(
  o: Omit<ImatinibOrderOptions, 'authoredOn' | 'status'> & {
    status?: MedicationRequest['status'] | MedicationStatement['status'];
    start?: string;
    kind?: 'MedicationRequest' | 'MedicationStatement';
  } = {},
): MedicationRequest | MedicationStatement {
  const { kind, start, status, id, rxnorm, dosageInstruction, ...dose } = o;
  const code = rxnorm ?? IMATINIB_RXNORM.tablet400;
  const hasDose = ['mg', 'g', 'tablets', 'capsules', 'quantity', 'rangeHigh', 'text'].some((k) => k in dose);
  const dosages = dosageInstruction ?? [dosage(hasDose ? dose : { tablets: 1, ...dose })];
  if (kind === 'MedicationStatement') {
    return medicationStatement({
      id: id ?? nextId('imatinib-ms'),
      rxnorm: code,
      display: IMATINIB_DISPLAY[code],
      status: (status ?? 'active') as MedicationStatement['status'],
      effectiveStart: start ?? '2025-03-01',
      dosage: dosages,
    });
  }
  return medicationRequest({
    id: id ?? nextId('imatinib-mr'),
    rxnorm: code,
    display: IMATINIB_DISPLAY[code],
    status: (status ?? 'active') as MedicationRequest['status'],
    authoredOn: start ?? '2025-03-01',
    dosageInstruction: dosages,
  });
}

/** A collection Bundle (e.g. context.draftOrders) with fullUrls "urn:uuid:<id>" unless `fullUrlBase` is given. */
export function bundle(resources: FhirResource[], o: { fullUrlBase?: string; type?: Bundle['type'] } = {}): Bundle {
  return {
    resourceType: 'Bundle',
    type: o.type ?? 'collection',
    entry: resources.map((resource) => ({
      fullUrl: o.fullUrlBase ? `${o.fullUrlBase}/${resource.resourceType}/${resource.id ?? ''}` : `urn:uuid:${resource.id ?? nextId()}`,
      resource,
    })),
  };
}
