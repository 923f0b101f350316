/**
 * Example cards for the public rule catalogue: for every rule, and for the VERIFICATION_SUMMARY and
 * DATA_INCOMPLETE cards, a small synthetic request that the clinical engine itself evaluates. The page and the
 * docs show what the service really issues, never hand-written JSON that could drift from the rules.
 *
 * Each request is built from the configured thresholds (an ANC below the configured hold threshold, a dose
 * above the configured maximum), so a site that changes a number sees the cards its own configuration issues.
 * Codes only, one obviously synthetic patient ("Patient/example"), no patient data. Evaluation time is pinned
 * and the cards' random uuids are replaced by name-based ones, so the page and docs/rule-catalogue.md are
 * reproducible byte for byte.
 *
 * Some configurations make a scenario impossible (e.g. a standard dose equal to the maximum leaves no dose for
 * HIGH_DOSE_WITHOUT_INDICATION): each card has candidate scenarios, tried in order, and the first one the
 * engine issues the card for wins. When none does, the example says so instead of inventing a card.
 */
import { createHash } from 'node:crypto';
import type { CodeableConcept, Condition, Dosage, FhirResource, MedicationRequest, MedicationStatement, Observation } from 'fhir/r4';
import type { ClinicalConfig } from '../config';
import { createClinicalEngine } from '../clinical/engine';
import { LAB_LOINC, type MissingData } from '../clinical/gaps';
import { DATA_INCOMPLETE_CODE } from '../clinical/incomplete';
import { formatNumber } from '../clinical/rules/format';
import { RULE_IDS, type RuleId } from '../clinical/rules/types';
import { HGNC, ICD10CM, LOINC, RXNORM, SNOMED, UCUM } from '../clinical/terminology/systems';
import type { ClinicalRequest } from '../clinical/types';
import { VERIFICATION_SUMMARY_CODE } from '../clinical/verification';
import type { Card } from '../protocol/cards';

/** Evaluation time of every example: dates in the cards are relative to it, so they never change. */
export const EXAMPLE_NOW = new Date('2026-01-15T09:00:00Z');
/** Service title named in the examples' source label, so no one mistakes an example for a real alert. */
export const EXAMPLE_SERVICE_TITLE = 'imatinib-cds (example)';
export const EXAMPLE_PATIENT = 'Patient/example';

export type ExampleCode = RuleId | typeof VERIFICATION_SUMMARY_CODE | typeof DATA_INCOMPLETE_CODE;
export const EXAMPLE_CODES: readonly ExampleCode[] = [...RULE_IDS, VERIFICATION_SUMMARY_CODE, DATA_INCOMPLETE_CODE];

/** The card the engine issued for the example scenario, or why no scenario makes it issue one. */
export type CardExample = { scenario: string; card: Card } | { unavailable: string };

interface Scenario {
  /** The synthetic patient and order in words, with the configured numbers used. */
  scenario: string;
  patient: FhirResource[];
  order: MedicationRequest;
  missing?: MissingData[];
  verificationSummary?: boolean;
}

// ---------------------------------------------------------------- synthetic FHIR (codes only)

const DAY_MS = 86_400_000;
const subject = { reference: EXAMPLE_PATIENT };
const IMATINIB_400: CodeableConcept = { coding: [{ system: RXNORM, code: '403879', display: 'imatinib 400 MG Oral Tablet' }] };
const ORAL: CodeableConcept = { coding: [{ system: SNOMED, code: '26643006', display: 'Oral route' }] };

function daysAgo(n: number): string {
  return new Date(EXAMPLE_NOW.getTime() - n * DAY_MS).toISOString().slice(0, 10);
}

function concept(system: string, code: string, display: string): CodeableConcept {
  return { coding: [{ system, code, display }] };
}

function quantity(value: number, unit: string) {
  return { value, unit, system: UCUM, code: unit };
}

function condition(id: string, code: CodeableConcept, recordedDaysAgo: number): Condition {
  return {
    resourceType: 'Condition',
    id,
    subject,
    clinicalStatus: concept('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active', 'Active'),
    verificationStatus: concept('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'confirmed', 'Confirmed'),
    code,
    recordedDate: daysAgo(recordedDaysAgo),
  };
}

const gist = (): Condition => condition('example-gist', concept(ICD10CM, 'C49.A2', 'Gastrointestinal stromal tumor of stomach'), 400);
const liverMetastasis = (): Condition => condition('example-metastasis', concept(ICD10CM, 'C78.7', 'Secondary malignant neoplasm of liver and intrahepatic bile duct'), 200);
const hepaticFailure = (): Condition => condition('example-hepatic-failure', concept(ICD10CM, 'K72.10', 'Chronic hepatic failure without coma'), 60);

function component(loinc: string, value: Pick<NonNullable<Observation['component']>[number], 'valueString' | 'valueCodeableConcept'>) {
  return { code: concept(LOINC, loinc, loinc), ...value };
}

/** A Genomics Reporting variant Observation (LOINC 69548-6): gene by HGNC id, Present or Absent. */
function variant(gene: 'KIT' | 'PDGFRA', found?: { exon: string; protein: string }): Observation {
  const hgnc = gene === 'KIT' ? 'HGNC:6342' : 'HGNC:8803';
  const components = [component('48018-6', { valueCodeableConcept: concept(HGNC, hgnc, gene) })];
  if (found) {
    components.push(component('47999-8', { valueString: found.exon }));
    components.push(component('48005-3', { valueCodeableConcept: concept('http://varnomen.hgvs.org', found.protein, found.protein) }));
  }
  return {
    resourceType: 'Observation',
    id: `example-${gene.toLowerCase()}`,
    status: 'final',
    code: concept(LOINC, '69548-6', 'Genetic variant assessment'),
    subject,
    effectiveDateTime: daysAgo(380),
    valueCodeableConcept: found ? concept(LOINC, 'LA9633-4', 'Present') : concept(LOINC, 'LA9634-2', 'Absent'),
    component: components,
  };
}

const kitExon9 = () => variant('KIT', { exon: 'Exon 9', protein: 'p.Ala502_Tyr503dup' });
const kitExon11 = () => variant('KIT', { exon: 'Exon 11', protein: 'p.Trp557_Lys558del' });
const pdgfraD842V = () => variant('PDGFRA', { exon: 'Exon 18', protein: 'p.Asp842Val' });
const kitNegative = () => variant('KIT');
const pdgfraNegative = () => variant('PDGFRA');
/** The genotype that fires no genotype rule: KIT exon 11 mutated, PDGFRA tested without a variant. */
const quietGenotype = () => [kitExon11(), pdgfraNegative()];

function lab(name: string, loinc: string, display: string, value: number, unit: string, uln?: number): Observation {
  return {
    resourceType: 'Observation',
    id: `example-${name}`,
    status: 'final',
    code: concept(LOINC, loinc, display),
    subject,
    effectiveDateTime: daysAgo(1),
    valueQuantity: quantity(value, unit),
    ...(uln !== undefined ? { referenceRange: [{ high: quantity(uln, unit) }] } : {}),
  };
}

/** Reference limits of the synthetic labs (typical adult values). */
const ULN = { bilirubinMgDl: 1.2, altUL: 40, astUL: 40 };

const anc = (v: number) => lab('anc', '751-8', 'Neutrophils [#/volume] in Blood', v, '10*9/L');
const platelets = (v: number) => lab('platelets', '777-3', 'Platelets [#/volume] in Blood', v, '10*9/L');
const bilirubin = (v: number) => lab('bilirubin', '1975-2', 'Bilirubin.total [Mass/volume] in Serum or Plasma', v, 'mg/dL', ULN.bilirubinMgDl);
const alt = (v: number) => lab('alt', '1742-6', 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma', v, 'U/L', ULN.altUL);
const ast = (v: number) => lab('ast', '1920-8', 'Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma', v, 'U/L', ULN.astUL);
const crcl = (v: number) => lab('crcl', '35591-7', 'Creatinine renal clearance predicted by Cockcroft-Gault formula', v, 'mL/min');

function observation(id: string, loinc: string, display: string, value: CodeableConcept, when: number): Observation {
  return { resourceType: 'Observation', id, status: 'final', code: concept(LOINC, loinc, display), subject, effectiveDateTime: daysAgo(when), valueCodeableConcept: value };
}

const worsened = (when: number) => observation('example-disease-status', '97509-4', 'Cancer disease status', concept(SNOMED, '271299001', "Patient's condition worsened"), when);
const stableDisease = (when: number) => observation('example-disease-status', '97509-4', 'Cancer disease status', concept(SNOMED, '359746009', "Patient's condition stable"), when);
const pregnant = (when: number) => observation('example-pregnancy-status', '82810-3', 'Pregnancy status', concept(SNOMED, '77386006', 'Pregnancy'), when);

/** A daily dose as the order writes it: mg per administration, times a day. */
interface Regimen {
  perAdministrationMg: number;
  timesPerDay: number;
}

const regimen = (mgPerDay: number, timesPerDay = 1): Regimen => ({ perAdministrationMg: mgPerDay / timesPerDay, timesPerDay });

const TIMES: Readonly<Record<number, string>> = { 1: 'once daily', 2: 'twice daily', 3: 'three times daily', 4: 'four times daily' };

function regimenText(r: Regimen): string {
  const times = TIMES[r.timesPerDay] ?? `${r.timesPerDay} times daily`;
  const total = r.timesPerDay > 1 ? ` (${formatNumber(r.perAdministrationMg * r.timesPerDay)} mg/day)` : '';
  return `${formatNumber(r.perAdministrationMg)} mg ${times}${total}`;
}

function dosage(r: Regimen): Dosage {
  return {
    text: regimenText(r),
    timing: { repeat: { frequency: r.timesPerDay, period: 1, periodUnit: 'd' } },
    route: ORAL,
    doseAndRate: [{ doseQuantity: quantity(r.perAdministrationMg, 'mg') }],
  };
}

/** The draft order under evaluation; free text only ("take as directed") when no regimen is given. */
function order(r: Regimen | 'as directed'): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id: 'example-order',
    status: 'draft',
    intent: 'order',
    subject,
    medicationCodeableConcept: IMATINIB_400,
    dosageInstruction: [r === 'as directed' ? { text: 'Take as directed' } : dosage(r)],
  };
}

/** Imatinib the patient already takes (an active medication list entry since a year ago). */
function takingImatinib(r: Regimen): MedicationStatement {
  return {
    resourceType: 'MedicationStatement',
    id: 'example-imatinib-current',
    status: 'active',
    subject,
    medicationCodeableConcept: IMATINIB_400,
    effectivePeriod: { start: daysAgo(365) },
    dosage: [dosage(r)],
  };
}

function coMedication(rxcui: string, name: string): MedicationStatement {
  return { resourceType: 'MedicationStatement', id: 'example-co-medication', status: 'active', subject, medicationCodeableConcept: concept(RXNORM, rxcui, name), effectivePeriod: { start: daysAgo(30) } };
}

/** The labs key of the hooks' prefetch, as the pipeline reports it when the FHIR server fails to answer. */
const MISSING_LABS: MissingData = {
  key: 'labs',
  label: 'labs',
  reason: 'FHIR server answered HTTP 503',
  resourceType: 'Observation',
  codes: Object.values(LAB_LOINC).flatMap((codes) => codes.map((c) => `${LOINC}|${c}`)),
};

// ---------------------------------------------------------------- values from the configuration

/** Clearly below a positive threshold (four fifths, 2 significant digits): 1 → 0.8, 50 → 40. None below 0. */
function clearlyBelow(threshold: number): number | undefined {
  return threshold > 0 ? Number((threshold * 0.8).toPrecision(2)) : undefined;
}

/** A value whose ratio to the ULN is clearly above a multiple (a quarter more; any value above 0×). */
function aboveUlnMultiple(uln: number, multiple: number): number {
  return Number((uln * (multiple > 0 ? multiple * 1.25 : 1)).toPrecision(3));
}

const midpoint = (low: number, high: number): number => (low + high) / 2;

const n = formatNumber;

const normalCrcl = (c: ClinicalConfig): number => Math.max(95, c.renal.mildBelow * 1.5);

/** Labs inside every configured limit, for the verification summary's "passed" lines. */
function normalLabs(c: ClinicalConfig): Observation[] {
  const h = c.hepatic;
  return [
    anc(Math.max(3.2, c.hematologic.ancResumeAtLeast * 2)),
    platelets(Math.max(210, c.hematologic.plateletsResumeAtLeast * 2)),
    bilirubin(Number((ULN.bilirubinMgDl * Math.min(0.5, h.bilirubinUlnMultiple / 2)).toPrecision(2))),
    alt(Number((ULN.altUL * Math.min(0.6, h.transaminaseUlnMultiple / 2)).toPrecision(2))),
    ast(Number((ULN.astUL * Math.min(0.7, h.transaminaseUlnMultiple / 2)).toPrecision(2))),
    crcl(normalCrcl(c)),
  ];
}

// ---------------------------------------------------------------- the scenarios

const GIST = 'GIST (not established as advanced), KIT exon 11 mutation, PDGFRA without a variant';
const ADVANCED_EXON9 = 'Advanced GIST (liver metastasis), KIT exon 9 mutation, PDGFRA without a variant';

function scenarios(code: ExampleCode, c: ClinicalConfig): Scenario[] {
  const standard = regimen(c.standardDoseMg);
  const high = regimen(c.highDoseMg, 2);
  // Below the high dose: the standard dose, unless the configuration makes them equal.
  const belowHigh = c.standardDoseMg < c.highDoseMg ? standard : regimen(c.highDoseMg / 2);
  const quiet = (words: string, extra: FhirResource[], r: Regimen | 'as directed' = standard): Scenario => ({
    scenario: `${GIST}${words}; ordered ${r === 'as directed' ? '"take as directed" (no dose quantity or frequency)' : regimenText(r)}.`,
    patient: [gist(), ...quietGenotype(), ...extra],
    order: order(r),
  });
  const progression = Math.min(14, Math.floor(c.progressionWindowDays / 2));
  const h = c.hematologic;
  const hp = c.hepatic;
  const r = c.renal;

  switch (code) {
    case 'EXON9_HIGH_DOSE':
      return [{ scenario: `${ADVANCED_EXON9}; ordered ${regimenText(belowHigh)}.`, patient: [gist(), liverMetastasis(), kitExon9(), pdgfraNegative()], order: order(belowHigh) }];
    case 'PROGRESSION_ESCALATE':
      return [
        {
          scenario: `Advanced GIST (liver metastasis), KIT exon 11 mutation; taking imatinib ${regimenText(belowHigh)} for a year; disease status worsened ${progression} days ago (window ${c.progressionWindowDays} days); the order continues ${regimenText(belowHigh)}.`,
          patient: [gist(), liverMetastasis(), ...quietGenotype(), takingImatinib(belowHigh), worsened(progression)],
          order: order(belowHigh),
        },
      ];
    case 'PROGRESSION_ON_HIGH_DOSE':
      return [
        {
          scenario: `Advanced GIST (liver metastasis), KIT exon 11 mutation; taking imatinib ${regimenText(high)} for a year; disease status worsened ${progression} days ago; the order continues ${regimenText(high)}.`,
          patient: [gist(), liverMetastasis(), ...quietGenotype(), takingImatinib(high), worsened(progression)],
          order: order(high),
        },
      ];
    case 'HIGH_DOSE_WITHOUT_INDICATION':
      // Any dose above the standard up to the maximum; the high dose reads most naturally.
      return [high, regimen(c.maxDoseMg)].filter((x) => x.perAdministrationMg * x.timesPerDay > c.standardDoseMg).map((x) => quiet('', [], x));
    case 'DOSE_ABOVE_MAX':
      return [quiet('', [], { perAdministrationMg: c.standardDoseMg, timesPerDay: Math.floor(c.maxDoseMg / c.standardDoseMg) + 1 })];
    case 'PDGFRA_D842V_RESISTANT':
      return [{ scenario: `GIST with PDGFRA D842V (exon 18), KIT without a variant; ordered ${regimenText(standard)}.`, patient: [gist(), kitNegative(), pdgfraD842V()], order: order(standard) }];
    case 'WT_SDH_NF1_LOW_BENEFIT':
      return [{ scenario: `GIST, KIT and PDGFRA tested without a variant (wild-type); ordered ${regimenText(standard)}.`, patient: [gist(), kitNegative(), pdgfraNegative()], order: order(standard) }];
    case 'NO_MUTATION_TEST':
      return [{ scenario: `GIST with no KIT/PDGFRA result on file; ordered ${regimenText(standard)}.`, patient: [gist()], order: order(standard) }];
    case 'HEMATOLOGIC_HOLD': {
      const lowAnc = clearlyBelow(h.ancHoldBelow);
      const lowPlatelets = clearlyBelow(h.plateletsHoldBelow);
      const okAnc = Math.max(3.2, h.ancResumeAtLeast * 2);
      const okPlatelets = Math.max(210, h.plateletsResumeAtLeast * 2);
      return [
        ...(lowAnc === undefined ? [] : [quiet(`; ANC ${n(lowAnc)} ×10⁹/L yesterday (hold below ${n(h.ancHoldBelow)}), platelets ${n(okPlatelets)} ×10⁹/L`, [anc(lowAnc), platelets(okPlatelets)])]),
        ...(lowPlatelets === undefined ? [] : [quiet(`; platelets ${n(lowPlatelets)} ×10⁹/L yesterday (hold below ${n(h.plateletsHoldBelow)}), ANC ${n(okAnc)} ×10⁹/L`, [anc(okAnc), platelets(lowPlatelets)])]),
      ];
    }
    case 'HEPATOTOXICITY_HOLD': {
      const highAlt = aboveUlnMultiple(ULN.altUL, hp.transaminaseUlnMultiple);
      const highBili = aboveUlnMultiple(ULN.bilirubinMgDl, hp.bilirubinUlnMultiple);
      const taking = `; taking imatinib ${regimenText(standard)} for a year`;
      return [
        quiet(`${taking}; ALT ${n(highAlt)} U/L yesterday (ULN ${ULN.altUL}; hold above ${n(hp.transaminaseUlnMultiple)}× ULN)`, [takingImatinib(standard), alt(highAlt)]),
        quiet(`${taking}; bilirubin ${n(highBili)} mg/dL yesterday (ULN ${ULN.bilirubinMgDl}; hold above ${n(hp.bilirubinUlnMultiple)}× ULN)`, [takingImatinib(standard), bilirubin(highBili)]),
      ];
    }
    case 'HEPATIC_IMPAIRMENT': {
      const highBili = aboveUlnMultiple(ULN.bilirubinMgDl, hp.bilirubinUlnMultiple);
      return [
        quiet(`, not taking imatinib; bilirubin ${n(highBili)} mg/dL yesterday (ULN ${ULN.bilirubinMgDl}; severe above ${n(hp.bilirubinUlnMultiple)}× ULN)`, [bilirubin(highBili)]),
        quiet(', not taking imatinib; chronic hepatic failure on the problem list (ICD-10-CM K72.10)', [hepaticFailure()]),
      ];
    }
    case 'RENAL_DOSE_LIMIT': {
      // Advanced KIT exon 9 GIST: a dose above the cap is indicated, so the kidney card is the only dose card.
      const renal = (crclValue: number, band: string, x: Regimen): Scenario => ({
        scenario: `${ADVANCED_EXON9}; CrCl ${n(crclValue)} mL/min yesterday (${band}); ordered ${regimenText(x)}.`,
        patient: [gist(), liverMetastasis(), kitExon9(), pdgfraNegative(), crcl(crclValue)],
        order: order(x),
      });
      const mildCrcl = midpoint(r.moderateBelow, r.mildBelow);
      const moderateCrcl = midpoint(r.severeBelow, r.moderateBelow);
      const severeCrcl = clearlyBelow(r.severeBelow);
      const mildBand = `${n(r.moderateBelow)} to < ${n(r.mildBelow)}: at most ${n(r.mildCapMg)} mg/day`;
      const moderateBand = `${n(r.severeBelow)} to < ${n(r.moderateBelow)}: at most ${n(r.moderateCapMg)} mg/day`;
      return [
        ...[high, regimen(c.maxDoseMg)].filter((x) => x.perAdministrationMg * x.timesPerDay > r.mildCapMg).map((x) => renal(mildCrcl, mildBand, x)),
        ...[standard, high].filter((x) => x.perAdministrationMg * x.timesPerDay > r.moderateCapMg).map((x) => renal(moderateCrcl, moderateBand, x)),
        ...(severeCrcl === undefined ? [] : [renal(severeCrcl, `below ${n(r.severeBelow)}: no established dose`, standard)]),
      ];
    }
    case 'CYP3A4_INDUCER':
      return [quiet('; also taking rifampin (RxNorm 9384)', [coMedication('9384', 'rifampin')])];
    case 'CYP3A4_INHIBITOR':
      return [quiet('; also taking ketoconazole (RxNorm 6135)', [coMedication('6135', 'ketoconazole')])];
    case 'WARFARIN':
      return [quiet('; also taking warfarin (RxNorm 11289)', [coMedication('11289', 'warfarin')])];
    case 'PREGNANCY': {
      const when = Math.min(7, c.pregnancyStatusLookbackDays);
      return [quiet(`; pregnancy status "pregnant" recorded ${when} days ago (look-back ${c.pregnancyStatusLookbackDays} days)`, [pregnant(when)])];
    }
    case 'DOSE_UNPARSEABLE':
      return [quiet('', [], 'as directed')];
    case VERIFICATION_SUMMARY_CODE:
      return [
        {
          scenario: `${ADVANCED_EXON9}; disease status stable 30 days ago; labs of yesterday within every limit (CrCl ${n(normalCrcl(c))} mL/min); ordered ${regimenText(belowHigh)}; checked by the pharmacy verification service.`,
          patient: [gist(), liverMetastasis(), kitExon9(), pdgfraNegative(), stableDisease(30), ...normalLabs(c)],
          order: order(belowHigh),
          verificationSummary: true,
        },
      ];
    case DATA_INCOMPLETE_CODE:
      return [{ ...quiet('; the labs could not be obtained (the FHIR server answered HTTP 503)', []), missing: [MISSING_LABS] }];
  }
}

// ---------------------------------------------------------------- running them

const UUID_NAMESPACE = Buffer.from('6f1d6c2e9a4b4c1e8a7f3b5d2c9e0a14', 'hex');

/** RFC 9562 version-5 (name-based) uuid: stable across runs and still a valid uuid for CDS Hooks clients. */
export function nameBasedUuid(name: string): string {
  const bytes = createHash('sha1').update(UUID_NAMESPACE).update(name, 'utf8').digest().subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The card with its fresh random uuids replaced by ones named after the example. */
function stable(card: Card, code: ExampleCode): Card {
  const copy = structuredClone(card);
  copy.uuid = nameBasedUuid(`example-card-${code}`);
  copy.suggestions?.forEach((s, i) => {
    s.uuid = nameBasedUuid(`example-suggestion-${code}-${i + 1}`);
  });
  return copy;
}

function request(s: Scenario): ClinicalRequest {
  return {
    orders: [s.order],
    draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: s.order }] },
    patientResources: s.patient,
    now: EXAMPLE_NOW,
    ...(s.missing ? { missing: s.missing } : {}),
  };
}

/** One example as evaluated: the scenario in words, the synthetic request, and the card the engine issued. */
export interface ExampleRun {
  scenario: string;
  request: ClinicalRequest;
  verificationSummary: boolean;
  card: Card;
}

/**
 * Every example evaluated under `cfg`: the first scenario for which the engine issues the card, with that
 * card (uuids made stable); undefined when no scenario makes the engine issue it.
 */
export function runExamples(cfg: ClinicalConfig): Record<ExampleCode, ExampleRun | undefined> {
  const engine = createClinicalEngine(cfg);
  const run = (code: ExampleCode): ExampleRun | undefined => {
    for (const s of scenarios(code, cfg)) {
      const req = request(s);
      const verificationSummary = s.verificationSummary ?? false;
      const card = engine.evaluate(req, { serviceTitle: EXAMPLE_SERVICE_TITLE, verificationSummary }).cards.find((c) => c.source.topic?.code === code);
      if (card) return { scenario: s.scenario, request: req, verificationSummary, card: stable(card, code) };
    }
    return undefined;
  };
  return Object.fromEntries(EXAMPLE_CODES.map((code) => [code, run(code)])) as Record<ExampleCode, ExampleRun | undefined>;
}

/** The example card of every rule and of the two service cards, as the engine issues them under `cfg`. */
export function buildExamples(cfg: ClinicalConfig): Record<ExampleCode, CardExample> {
  const runs = runExamples(cfg);
  const example = (code: ExampleCode): CardExample => {
    const r = runs[code];
    return r ? { scenario: r.scenario, card: r.card } : { unavailable: 'no synthetic example patient makes the service issue this card with the configured values' };
  };
  return Object.fromEntries(EXAMPLE_CODES.map((code) => [code, example(code)])) as Record<ExampleCode, CardExample>;
}
