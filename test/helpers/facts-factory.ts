/**
 * Hand-built PatientFacts and ImatinibOrders for rule tests, so each test states only what matters:
 *
 *   const run = runFor({ advanced: true, genotype: 'kit-exon9' }, [order({ mgPerDay: 400 })]);
 *   expect(ids(run)).toEqual(['EXON9_HIGH_DOSE']);
 *
 * The default patient is "quiet": GIST, KIT exon 11 (KIT and PDGFRA tested), not advanced, not taking
 * imatinib, no labs, no co-medications. A 400 mg once-daily order on that patient fires nothing.
 */
import type { MedicationRequest } from 'fhir/r4';
import { loadConfig, type ClinicalConfig } from '../../src/config';
import { buildRuleContext } from '../../src/clinical/rules/context';
import { runRules, type RuleRun } from '../../src/clinical/rules/run';
import type { RuleContext } from '../../src/clinical/rules/types';
import { totalDose } from '../../src/clinical/dose';
import { DataGaps, type MissingData } from '../../src/clinical/gaps';
import type { Comparator, DoseResult, DrugEvidence, Evidence, GenotypeFacts, ImatinibOrder, LabSlot, LabValue, PatientFacts, RenalFunction, UnusableResult } from '../../src/clinical/types';
import { IMATINIB_BY_RXCUI } from '../../src/clinical/terminology/imatinib';
import { INTERACTING_DRUGS } from '../../src/clinical/terminology/interacting-drugs';
import { unknown } from '../../src/clinical/tri';
import { imatinibOrder, NOW, daysAgo } from './fhir-builders';

/** The shipped defaults (config/default.json), as the service loads them. */
export const CFG: ClinicalConfig = loadConfig({}).clinical;

export { NOW, daysAgo };

export type Genotype =
  | 'kit-exon11'
  | 'kit-exon9'
  | 'pdgfra-d842v'
  | 'kit-exon9-and-pdgfra-d842v'
  | 'wild-type'
  | 'sdh-deficient'
  | 'kit-only-tested'
  | 'untested';

export interface LiverLab {
  value: number;
  /** ULN in the same unit; omit for a result without referenceRange.high. */
  uln?: number;
  date?: string;
  comparator?: Comparator;
}

/** A lab with a comparator ("<15"), or with newer results that are not values. */
export interface LabOptions {
  value: number;
  comparator?: Comparator;
  unusable?: UnusableResult[];
}

export interface FactsOptions {
  /** Default true. */
  gist?: boolean;
  advanced?: boolean;
  /** Default 'kit-exon11'. */
  genotype?: Genotype;
  /** Currently taking imatinib (active/on-hold record): current daily dose, start date (default 2025-03-01). */
  taking?: { mgPerDay: number | 'unparseable'; start?: string };
  /** Whether imatinib is taken is not known (an active record whose medication could not be identified). */
  takingUnknown?: boolean;
  /** Preliminary KIT/PDGFRA results (dates). */
  pendingGenotype?: string[];
  /** Earlier imatinib therapy only (no active record). */
  previousStart?: string;
  /** A worsened disease status after the start of therapy. `current` (default true) = latest and within the window. */
  progression?: { date: string; current?: boolean };
  /** The latest disease status when it is not worsened (e.g. stable after an earlier progression). */
  latestStatus?: { display: string; code: string; date: string };
  /** Labs in canonical units, dated `labDate` (default 3 days ago). */
  anc?: number | LabOptions;
  platelets?: number | LabOptions;
  bilirubin?: LiverLab;
  alt?: LiverLab;
  ast?: LiverLab;
  crcl?: number | LabOptions;
  egfr?: number | LabOptions;
  labDate?: string;
  inducers?: string[];
  inhibitors?: string[];
  warfarin?: boolean;
  pregnant?: boolean;
  severeHepaticImpairment?: boolean;
}

function ev(description: string, sourceRef: string, date?: string): Evidence {
  return date === undefined ? { description, sourceRef } : { description, sourceRef, date };
}

function genotypeFacts(g: Genotype): GenotypeFacts {
  const tested = { mutationTested: true, kitTested: true, pdgfraTested: true, kitVariantPresent: false, pdgfraVariantPresent: false, pending: [] };
  const exon9 = ev('KIT exon 9 c.1504_1509dup', 'Observation/var-kit9', '2025-01-20');
  const d842v = ev('PDGFRA p.Asp842Val', 'Observation/var-d842v', '2025-01-20');
  switch (g) {
    case 'kit-exon11':
      return { ...tested, kitVariantPresent: true };
    case 'kit-exon9':
      return { ...tested, kitVariantPresent: true, kitExon9: exon9 };
    case 'pdgfra-d842v':
      return { ...tested, pdgfraVariantPresent: true, pdgfraD842V: d842v };
    case 'kit-exon9-and-pdgfra-d842v':
      return { ...tested, kitVariantPresent: true, pdgfraVariantPresent: true, kitExon9: exon9, pdgfraD842V: d842v };
    case 'wild-type':
      return { ...tested, wildType: ev('KIT and PDGFRA tested, no variant present', 'Observation/region-1', '2025-01-20') };
    case 'sdh-deficient':
      return { ...tested, kitVariantPresent: false, sdhOrNf1: ev('SDHB variant present', 'Observation/var-sdhb', '2025-01-20') };
    case 'kit-only-tested':
      return { mutationTested: true, kitTested: true, pdgfraTested: false, kitVariantPresent: false, pdgfraVariantPresent: false, pending: [] };
    case 'untested':
      return { mutationTested: false, kitTested: false, pdgfraTested: false, kitVariantPresent: false, pdgfraVariantPresent: false, pending: [] };
  }
}

let labCounter = 0;
function lab(loinc: string, value: number | LabOptions, unit: string, date: string, uln?: number, comparator?: Comparator): LabValue {
  labCounter += 1;
  const v = typeof value === 'number' ? { value } : value;
  const l: LabValue = { value: v.value, unit, date, loinc, sourceRef: `Observation/lab-${labCounter}` };
  const c = v.comparator ?? comparator;
  if (c) l.comparator = c;
  if (uln !== undefined) l.uln = uln;
  return l;
}

function slot(value: LabValue | undefined, o?: number | LabOptions): LabSlot {
  const unusable = typeof o === 'object' ? (o.unusable ?? []) : [];
  return value ? { value, unusable } : { unusable };
}

function dose(mgPerDay: number | 'unparseable'): DoseResult {
  return mgPerDay === 'unparseable'
    ? { kind: 'unparseable', reason: 'free-text dosing only' }
    : { kind: 'computed', mgPerDay, derivation: `${mgPerDay} mg × 1/day` };
}

function drugs(names: string[] | undefined): DrugEvidence[] {
  return (names ?? []).map((name, i) => {
    const figure = INTERACTING_DRUGS.find((d) => d.name === name)?.exposureCutPercent;
    return { name, matchedBy: 'rxnorm', sourceRef: `MedicationRequest/co-${name.replace(/\W+/g, '-')}-${i}`, ...(figure ? { exposureCutPercent: figure } : {}) };
  });
}

export function patientFacts(o: FactsOptions = {}): PatientFacts {
  const labDate = o.labDate ?? daysAgo(3);
  const start = o.taking?.start ?? o.previousStart ?? (o.taking ? '2025-03-01' : undefined);
  const genotype = genotypeFacts(o.genotype ?? 'kit-exon11');
  genotype.pending = (o.pendingGenotype ?? []).map((d) => ev(`preliminary KIT result reported ${d}, awaiting its final report`, 'Observation/pending-kit', d));
  const f: PatientFacts = {
    genotype,
    imatinib: {
      taking: o.taking !== undefined ? true : o.takingUnknown ? unknown({ text: 'an active medication record whose medication could not be identified', cause: 'unidentified' }) : false,
      currentRecords: o.taking ? ['MedicationRequest/current-imatinib'] : [],
      unidentifiedCurrent: o.takingUnknown ? ['MedicationStatement/unidentified'] : [],
      ...(start ? { start: ev(`imatinib since ${start}`, 'MedicationRequest/current-imatinib', start) } : {}),
      ...(o.taking ? { currentDose: dose(o.taking.mgPerDay) } : {}),
    },
    labs: {
      anc: slot(o.anc !== undefined ? lab('751-8', o.anc, '10*9/L', labDate) : undefined, o.anc),
      platelets: slot(o.platelets !== undefined ? lab('777-3', o.platelets, '10*9/L', labDate) : undefined, o.platelets),
      bilirubin: slot(o.bilirubin ? lab('1975-2', o.bilirubin.value, 'mg/dL', o.bilirubin.date ?? labDate, o.bilirubin.uln, o.bilirubin.comparator) : undefined),
      alt: slot(o.alt ? lab('1742-6', o.alt.value, 'U/L', o.alt.date ?? labDate, o.alt.uln, o.alt.comparator) : undefined),
      ast: slot(o.ast ? lab('1920-8', o.ast.value, 'U/L', o.ast.date ?? labDate, o.ast.uln, o.ast.comparator) : undefined),
      renal: { unusable: [] },
    },
    coMedications: { cyp3a4Inducers: drugs(o.inducers), cyp3a4Inhibitors: drugs(o.inhibitors), warfarin: o.warfarin ? drugs(['warfarin']) : [] },
  };
  if (o.gist !== false) f.gist = ev('Gastrointestinal stromal tumor of stomach (ICD-10-CM C49.A2)', 'Condition/gist', '2025-01-10');
  if (o.advanced) f.advanced = ev('Secondary malignant neoplasm of liver (ICD-10-CM C78.7)', 'Condition/met', '2025-02-01');
  if (o.progression) {
    const p = ev(`Disease status worsened on ${o.progression.date}`, 'Observation/status-worse', o.progression.date);
    f.progressionOnImatinib = p;
    if (o.progression.current !== false) {
      f.currentProgression = p;
      f.latestDiseaseStatus = { code: '271299001', display: "Patient's condition worsened", date: o.progression.date, sourceRef: 'Observation/status-worse' };
    }
  }
  if (o.latestStatus) f.latestDiseaseStatus = { ...o.latestStatus, sourceRef: 'Observation/status-latest' };
  if (o.progression && o.progression.current === false && !o.latestStatus) {
    f.latestDiseaseStatus = { code: '271299001', display: "Patient's condition worsened", date: o.progression.date, sourceRef: 'Observation/status-worse' };
  }
  if (o.crcl !== undefined) f.labs.renal = { ...slot(undefined, o.crcl), value: { ...lab('35591-7', o.crcl, 'mL/min', labDate), egfrProxy: false } satisfies RenalFunction };
  else if (o.egfr !== undefined) f.labs.renal = { ...slot(undefined, o.egfr), value: { ...lab('98979-8', o.egfr, 'mL/min/{1.73_m2}', labDate), egfrProxy: true } satisfies RenalFunction };
  if (o.pregnant) f.pregnancy = ev('Pregnancy status: Pregnant', 'Observation/preg', daysAgo(10));
  if (o.severeHepaticImpairment) f.severeHepaticImpairment = ev('Hepatic failure (ICD-10-CM K72.10)', 'Condition/hepatic-failure', '2026-04-01');
  return f;
}

export interface OrderOptions {
  id?: string;
  /** RxNorm product (default 403879, the 400 mg tablet). */
  rxnorm?: string;
  /** Order status (default draft). */
  status?: 'draft' | 'active' | 'on-hold';
  /** Daily dose; default 400 (as one 400 mg dose a day). */
  mgPerDay?: number | 'unparseable';
  /** Doses a day in the FHIR resource (default 1); the mg per dose is mgPerDay / timesPerDay. */
  timesPerDay?: number;
  /** Extra fields on the MedicationRequest resource (e.g. a route on its dosage). */
  resource?: Partial<MedicationRequest>;
}

/** An evaluated imatinib order with its resource (a real draft MedicationRequest) and a fixed daily dose. */
export function order(o: OrderOptions = {}): ImatinibOrder {
  const mgPerDay = o.mgPerDay ?? 400;
  const times = o.timesPerDay ?? 1;
  const common = { ...(o.id ? { id: o.id } : {}), ...(o.rxnorm ? { rxnorm: o.rxnorm } : {}), ...(o.status ? { status: o.status } : {}) };
  const base =
    mgPerDay === 'unparseable'
      ? imatinibOrder({ ...common, dosageInstruction: [{ text: 'take as directed' }] })
      : imatinibOrder({ ...common, mg: mgPerDay / times, frequency: times });
  const resource: MedicationRequest = { ...base, ...o.resource };
  const product = IMATINIB_BY_RXCUI.get(o.rxnorm ?? '403879');
  return {
    resource,
    reference: `MedicationRequest/${resource.id ?? ''}`,
    medicationLabel: product?.name ?? 'imatinib',
    ...(product ? { product } : {}),
    dose: dose(mgPerDay),
  };
}

/** The §3 total over orders (unparseable when any is), with src/clinical/dose.ts totalDose. */
function total(orders: ImatinibOrder[]): DoseResult {
  return totalDose(orders.map((o) => o.dose));
}

export function contextFor(facts: PatientFacts, orders: ImatinibOrder[] = [order()], cfg: ClinicalConfig = CFG, missing: MissingData[] = []): RuleContext {
  return buildRuleContext({ facts, orders, total: total(orders), cfg, now: NOW, gaps: new DataGaps(missing) });
}

/** Run every rule (with precedence) on a patient described by options and the given orders. */
export function runFor(o: FactsOptions = {}, orders: ImatinibOrder[] = [order()], cfg: ClinicalConfig = CFG, missing: MissingData[] = []): RuleRun {
  return runRules(contextFor(patientFacts(o), orders, cfg, missing));
}

/** A missing prefetch key as the hooks' templates describe it: `missingKey('labs')`. */
export function missingKey(key: 'labs' | 'pregnancy' | 'genomics' | 'diseaseStatus' | 'staging' | 'medicationRequests' | 'medicationStatements' | 'patient'): MissingData {
  const loinc = (...codes: string[]) => codes.map((c) => `http://loinc.org|${c}`);
  const table: Record<string, Omit<MissingData, 'key' | 'reason'>> = {
    labs: { label: 'labs', resourceType: 'Observation', codes: loinc('751-8', '753-4', '26499-4', '777-3', '26515-7', '1975-2', '14631-6', '1742-6', '1920-8', '2164-2', '35591-7', '98979-8', '62238-1', '33914-3') },
    pregnancy: { label: 'pregnancy', resourceType: 'Observation', codes: loinc('82810-3', '2106-3', '2118-8') },
    genomics: { label: 'mutation tests', resourceType: 'Observation', codes: loinc('69548-6', '53041-0', '55201-8') },
    diseaseStatus: { label: 'disease status', resourceType: 'Observation', codes: loinc('97509-4') },
    staging: { label: 'staging', resourceType: 'Observation', codes: ['http://snomed.info/sct|277208005', 'http://snomed.info/sct|399387003', 'http://snomed.info/sct|371497001', ...loinc('21907-1', '21901-4', '21913-9')] },
    medicationRequests: { label: 'medication orders', resourceType: 'MedicationRequest' },
    medicationStatements: { label: 'medication list', resourceType: 'MedicationStatement' },
    patient: { label: 'patient record', resourceType: 'Patient' },
  };
  return { key, reason: 'FHIR server answered HTTP 500', ...(table[key] as Omit<MissingData, 'key' | 'reason'>) };
}

/** The rule IDs of the issued findings, in issue order. */
export function ids(run: RuleRun): string[] {
  return run.findings.map((f) => f.ruleId);
}

export function finding(run: RuleRun, ruleId: string) {
  const f = run.findings.find((x) => x.ruleId === ruleId);
  if (!f) throw new Error(`expected a ${ruleId} finding; got ${ids(run).join(', ') || 'none'}`);
  return f;
}

export function outcome(run: RuleRun, ruleId: string) {
  const o = run.outcomes.find((x) => x.ruleId === ruleId);
  if (!o) throw new Error(`no outcome for ${ruleId}`);
  return o;
}

/** The dose change a finding carries (the one safe target of the request), if any. */
export function suggested(f: { suggestion?: { kind: string; target?: unknown } }): import('../../src/clinical/rules/types').DoseTarget | undefined {
  return f.suggestion?.kind === 'dose' ? (f.suggestion.target as import('../../src/clinical/rules/types').DoseTarget) : undefined;
}
