/**
 * Contracts of the clinical core. Data flows one way:
 *   draft orders + patient FHIR resources → PatientFacts + ImatinibOrder[] → Finding[] → Card[]
 * Everything here is pure and synchronous; nothing in src/clinical sees HTTP.
 */
import type { Bundle, FhirResource, MedicationRequest } from 'fhir/r4';

/** Where a fact came from, for card text and the verification summary. */
export interface Evidence {
  /** Human-readable statement of the fact, e.g. "KIT exon 9 c.1504_1509dup (Observation/abc)". */
  description: string;
  /** ISO date (YYYY-MM-DD or dateTime) of the underlying record, when it has one. */
  date?: string;
  /** Relative reference of the resource the fact was read from, e.g. "Observation/abc". */
  sourceRef: string;
}

/** A lab result, converted to the canonical unit of its kind. */
export interface LabValue {
  value: number;
  /** Canonical unit: "10*9/L" (ANC, platelets), "mg/dL" or "umol/L" (bilirubin, kept in its own unit), "U/L", "mL/min". */
  unit: string;
  /** Effective date/time of the result (ISO). */
  date: string;
  loinc: string;
  /** Upper limit of normal in the same unit as value (from referenceRange.high), when available. */
  uln?: number;
  sourceRef: string;
}

export interface RenalFunction extends LabValue {
  /** true when this is an eGFR used as a proxy because no creatinine clearance is in the look-back window. */
  egfrProxy: boolean;
}

export interface DrugEvidence {
  /** Ingredient name as shown to the clinician, e.g. "rifampin". */
  name: string;
  matchedBy: 'rxnorm' | 'name';
  sourceRef: string;
}

export interface GenotypeFacts {
  /** Any final KIT or PDGFRA variant / region-studied / legacy 55201-8 result. */
  mutationTested: boolean;
  kitTested: boolean;
  pdgfraTested: boolean;
  kitVariantPresent: boolean;
  pdgfraVariantPresent: boolean;
  kitExon9?: Evidence;
  pdgfraD842V?: Evidence;
  /** KIT and PDGFRA both tested, neither with a variant present. */
  wildType?: Evidence;
  /** SDH-deficient or NF1-associated GIST documented. */
  sdhOrNf1?: Evidence;
}

/** Outcome of the §3 daily-dose computation. */
export type DoseResult =
  | { kind: 'computed'; mgPerDay: number; /** How it was derived, e.g. "400 mg × 2/day (timing.repeat)". */ derivation: string }
  | { kind: 'unparseable'; reason: string };

export interface ImatinibHistory {
  /** Earliest start among imatinib MedicationRequests/Statements (any status but entered-in-error), orders under evaluation excluded. */
  start?: Evidence;
  /** An active or on-hold imatinib record exists. */
  alreadyTaking: boolean;
  /** §3 total over the active/on-hold records; undefined when not taking. */
  currentDose?: DoseResult;
  /** References of the active/on-hold records. */
  activeRecords: string[];
}

export interface DiseaseStatus {
  code: string;
  display: string;
  date: string;
  sourceRef: string;
}

export interface PatientFacts {
  gist?: Evidence;
  /** Why the disease is established as advanced (metastatic/unresectable); undefined = not established. */
  advanced?: Evidence;
  genotype: GenotypeFacts;
  imatinib: ImatinibHistory;
  /** Latest mCODE CancerDiseaseStatus, if any. */
  latestDiseaseStatus?: DiseaseStatus;
  /** Any worsened status dated after the start of therapy (no time window). */
  progressionOnImatinib?: Evidence;
  /** Latest status is worsened, after start of therapy, within the progression window. */
  currentProgression?: Evidence;
  labs: {
    anc?: LabValue;
    platelets?: LabValue;
    bilirubin?: LabValue;
    alt?: LabValue;
    ast?: LabValue;
    renal?: RenalFunction;
  };
  coMedications: {
    cyp3a4Inducers: DrugEvidence[];
    cyp3a4Inhibitors: DrugEvidence[];
    warfarin: DrugEvidence[];
  };
  pregnancy?: Evidence;
  severeHepaticImpairment?: Evidence;
}

/** An imatinib order under evaluation, with its computed daily dose. */
export interface ImatinibOrder {
  /** The MedicationRequest exactly as it arrived in draftOrders (used whole in update suggestions). */
  resource: MedicationRequest;
  /** "MedicationRequest/<id>". */
  reference: string;
  /** Medication name for card text, e.g. "imatinib 400 MG Oral Tablet". */
  medicationLabel: string;
  dose: DoseResult;
}

/** Everything the clinical core needs for one request. */
export interface ClinicalRequest {
  hook: 'order-select' | 'order-sign';
  draftOrders: Bundle;
  /** order-select only: references of the selected orders. */
  selections?: string[];
  /** Patient data from prefetch and/or the FHIR server, flattened (Bundles unpacked, OperationOutcomes removed). */
  patientResources: FhirResource[];
  /** Evaluation time (injected for testability). */
  now: Date;
  /**
   * Prefetch keys whose paged results were cut short (fhir.maxPages, or a `next` link leaving the FHIR server):
   * the pages read are used, and the verification summary says what may be missing.
   */
  truncatedKeys?: string[];
}
