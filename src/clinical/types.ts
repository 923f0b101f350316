/**
 * Contracts of the clinical core. Data flows one way:
 *   draft orders + patient FHIR resources → PatientFacts + ImatinibOrder[] → rule outcomes → Card[]
 * Everything here is pure and synchronous; nothing in src/clinical sees HTTP.
 */
import type { Bundle, FhirResource, Medication, MedicationRequest } from 'fhir/r4';
import type { MissingData } from './gaps';
import type { ImatinibConcept } from './terminology/imatinib';
import type { Tri } from './tri';

/** Where a fact came from, for card text and the verification summary. */
export interface Evidence {
  /** Human-readable statement of the fact, without FHIR ids, e.g. "KIT exon 9 variant c.1504_1509dup reported 2025-01-20". */
  description: string;
  /** ISO date (YYYY-MM-DD or dateTime) of the underlying record, when it has one. */
  date?: string;
  /** Relative reference of the resource the fact was read from, e.g. "Observation/abc" (pharmacy "Records used" only). */
  sourceRef: string;
}

export type Comparator = '<' | '<=' | '>=' | '>';

/** A quantity as the lab reported it, for text ("ULN 21 µmol/L", "900 /µL"). */
export interface ReportedQuantity {
  value: number;
  comparator?: Comparator;
  /** Unit text as reported (unit, else code). */
  unit: string;
}

/** A lab result, converted to the canonical unit of its kind. */
export interface LabValue {
  /** In the canonical unit; with `comparator` it stands for every value the comparator allows. */
  value: number;
  comparator?: Comparator;
  /** Canonical unit: "10*9/L" (ANC, platelets), "mg/dL" or "umol/L" (bilirubin), "U/L", "mL/min" (CrCl), "mL/min/{1.73_m2}" (eGFR). */
  unit: string;
  /** The value as reported, when its unit differs from the canonical one. */
  reported?: ReportedQuantity;
  /** Effective date/time of the result (ISO). */
  date: string;
  loinc: string;
  /** Upper limit of normal in the canonical unit (from referenceRange.high), when available. */
  uln?: number;
  /** referenceRange.high as reported, for text. */
  ulnReported?: ReportedQuantity;
  sourceRef: string;
}

/** A result newer than the value used (or, with no value, in the window) that is not a value. */
export interface UnusableResult {
  kind: 'no-number' | 'preliminary' | 'unreadable-unit';
  date: string;
  /** What the lab wrote instead of a number ("platelet clumps, unable to count"), or the unit that could not be read. */
  text?: string;
  sourceRef: string;
}

export interface LabSlot {
  /** The latest result with a usable number in the look-back window. */
  value?: LabValue;
  /** Results newer than `value` (all in the window when there is no value) without a usable number, newest first. */
  unusable: UnusableResult[];
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
  /** Strong CYP3A4 inducers: the measured cut in imatinib exposure, in percent ("74", "30–32"). */
  exposureCutPercent?: string;
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
  /** Preliminary/registered KIT or PDGFRA results: not results for any rule, but named (newest first). */
  pending: Evidence[];
}

/** Outcome of the §3 daily-dose computation. */
export type DoseResult =
  | {
      kind: 'computed';
      mgPerDay: number;
      /** How it was derived, e.g. "400 mg × 2/day (timing.repeat)". */
      derivation: string;
      /** Set when the dose came from a doseRange: the daily dose at its low value (undefined when the range has no low). */
      range?: { lowMgPerDay?: number };
    }
  | { kind: 'unparseable'; reason: string };

export interface ImatinibHistory {
  /** Earliest start among imatinib MedicationRequests/Statements (any status but entered-in-error), orders under evaluation excluded. */
  start?: Evidence;
  /**
   * Already taking imatinib: an identified active/on-hold imatinib record, or an evaluated order that is itself
   * active/on-hold (a revised order). Unknown when only unidentified current records exist, or the medication
   * data could not be obtained.
   */
  taking: Tri;
  /** §3 total over the identified active/on-hold records; undefined when none, or when the total cannot be complete. */
  currentDose?: DoseResult;
  /** Why the current dose is not known although imatinib may be taken (for the verification summary). */
  currentDoseUnknownBecause?: string;
  /** References of the identified active/on-hold imatinib records. */
  currentRecords: string[];
  /** Active/on-hold MedicationRequests/Statements whose medication could not be identified. */
  unidentifiedCurrent: string[];
}

export interface DiseaseStatus {
  code: string;
  display: string;
  date: string;
  sourceRef: string;
}

export type LabKey = 'anc' | 'platelets' | 'bilirubin' | 'alt' | 'ast';

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
  labs: Record<LabKey, LabSlot> & {
    /** CrCl, else the eGFR proxy (`value.egfrProxy`). */
    renal: LabSlot & { value?: RenalFunction };
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
  /** "MedicationRequest/<id>" (for actions and the pharmacy "Records used"; never in prescriber text). */
  reference: string;
  /** Medication name for card text, e.g. "imatinib 400 MG Oral Tablet". */
  medicationLabel: string;
  /** The imatinib RxNorm concept of the product, when coded (strength and form). */
  product?: ImatinibConcept;
  dose: DoseResult;
}

/** Everything the clinical core needs to evaluate the imatinib orders of one request. */
export interface ClinicalRequest {
  /** The imatinib orders under evaluation (from selectOrders), as they arrived. */
  orders: MedicationRequest[];
  draftOrders: Bundle;
  /** Patient data from prefetch and/or the FHIR server (Bundles unpacked, OperationOutcomes and Medications removed). */
  patientResources: FhirResource[];
  /** Medications known for this request: in prefetch, in fetched data, read from the FHIR server. */
  medications?: Medication[];
  /** Prefetch keys that could not be obtained (§7). */
  missing?: MissingData[];
  /** Patient medication references whose Medication could not be read, with the reason. */
  medicationReadFailures?: Record<string, string>;
  /** Evaluation time (injected for testability). */
  now: Date;
  /**
   * Prefetch keys whose paged results were cut short (fhir.maxPages, or a `next` link leaving the FHIR server):
   * the pages read are used, and the verification summary says what may be missing.
   */
  truncatedKeys?: string[];
}
