/**
 * KIT/PDGFRA genotype and SDH/NF1 status (docs/clinical-rules.md §2). Sources, all real (final/amended/corrected):
 * - variant Observations: LOINC 69548-6, a Genomics Reporting / mCODE variant profile, or the legacy R4 shape
 *   with the observation-geneticsGene extension; gene by HGNC id only;
 * - region-studied Observations (LOINC 53041-0 or profile): every gene listed counts as tested;
 * - the legacy single test LOINC 55201-8 "KIT gene mutation analysis" (KIT tested; positive = KIT variant).
 * A variant classified benign/likely benign (component 53037-8) is not counted as a variant present.
 * Preliminary/registered KIT/PDGFRA results are no result for any rule; they are listed as pending (1.1).
 */
import type { Condition, Observation, ObservationComponent } from 'fhir/r4';
import type { Evidence, GenotypeFacts } from '../types';
import { nf1ConditionCoding } from '../terminology/diagnoses';
import {
  BENIGN_SIGNIFICANCE,
  EXON_9,
  EXT_GENETICS_DNA_REGION,
  EXT_GENETICS_GENE,
  GENOMIC_LOINC,
  HGVS_COMPONENT_CODES,
  KIT_EXON9_HOTSPOT,
  PDGFRA_D842V,
  REGION_STUDIED_PROFILES,
  SDH_NF1_GENES,
  VARIANT_PROFILES,
  genesOf,
  matchesHotspot,
  normaliseHgvs,
  presenceOfConcept,
  presenceOfText,
  type GeneSymbol,
  type NormalisedHgvs,
  type Presence,
} from '../terminology/genomics';
import { asArray, asString, asStrings } from '../shape';
import { LOINC, codesOf, codingsOf, describeCoding, isSystem } from '../terminology/systems';
import { conditionDate, day, isRealCondition, observationDate, ref } from './common';
import { observationsWithLoinc, pendingWithLoinc, type ResourceIndex } from './resource-index';

function componentsWith(o: Observation, loinc: string): ObservationComponent[] {
  return asArray(o.component).filter((c) => codingsOf(c.code).some((x) => asString(x.code)?.trim() === loinc && isSystem(x, LOINC)));
}

/** Text values of a component: valueString, or a CodeableConcept's codes, displays and text. */
function componentStrings(c: ObservationComponent): string[] {
  const out: string[] = [];
  const value = asString(c.valueString);
  if (value) out.push(value);
  const cc = c.valueCodeableConcept;
  for (const x of codingsOf(cc)) {
    const code = asString(x.code) ?? asString(x.display);
    if (code) out.push(code);
  }
  const text = asString(cc?.text);
  if (text) out.push(text);
  return out;
}

interface Hgvs {
  raw: string;
  norm: NormalisedHgvs;
}

interface GeneticResult {
  observation: Observation;
  genes: GeneSymbol[];
  presence?: Presence;
  exons: string[];
  hgvs: Hgvs[];
  date?: string;
}

function genesOfObservation(o: Observation): GeneSymbol[] {
  const genes = new Set<GeneSymbol>();
  for (const c of componentsWith(o, GENOMIC_LOINC.geneStudied)) for (const g of genesOf(c.valueCodeableConcept)) genes.add(g);
  for (const e of asArray(o.extension)) if (e.url === EXT_GENETICS_GENE) for (const g of genesOf(e.valueCodeableConcept)) genes.add(g);
  return [...genes];
}

function exonsOf(o: Observation): string[] {
  const exons = componentsWith(o, GENOMIC_LOINC.dnaRegionName).flatMap(componentStrings);
  for (const e of asArray(o.extension)) {
    const region = e.url === EXT_GENETICS_DNA_REGION ? asString(e.valueString) : undefined;
    if (region) exons.push(region);
  }
  return exons;
}

function hgvsOf(o: Observation): Hgvs[] {
  const out: Hgvs[] = [];
  for (const c of asArray(o.component)) {
    const isHgvs = codingsOf(c.code).some((x) => typeof x.code === 'string' && HGVS_COMPONENT_CODES.has(x.code.trim()) && isSystem(x, LOINC));
    if (!isHgvs) continue;
    for (const raw of componentStrings(c)) {
      const norm = normaliseHgvs(raw);
      if (norm) out.push({ raw: raw.trim(), norm });
    }
  }
  return out;
}

function isBenign(o: Observation): boolean {
  return componentsWith(o, GENOMIC_LOINC.clinicalSignificance).some((c) => codesOf(c.valueCodeableConcept, LOINC).some((code) => BENIGN_SIGNIFICANCE.has(code)));
}

function valuePresence(o: Observation): Presence | undefined {
  if (typeof o.valueCodeableConcept === 'object' && o.valueCodeableConcept !== null) return presenceOfConcept(o.valueCodeableConcept) ?? presenceOfText(o.valueCodeableConcept.text);
  if (o.valueString !== undefined) return presenceOfText(o.valueString);
  if (o.valueBoolean !== undefined) return o.valueBoolean ? 'present' : 'absent';
  return undefined;
}

function hasValue(o: Observation): boolean {
  return Object.keys(o).some((k) => k.startsWith('value'));
}

function readVariant(o: Observation): GeneticResult {
  const hgvs = hgvsOf(o);
  let presence = valuePresence(o);
  // No value[x] but a c./p. change reported: the variant is there (docs/clinical-rules.md §2).
  if (presence === undefined && !hasValue(o) && hgvs.some((h) => /^[CP]\./.test(h.norm.change))) presence = 'present';
  if (presence === 'present' && isBenign(o)) presence = 'absent';
  const date = observationDate(o);
  return { observation: o, genes: genesOfObservation(o), ...(presence ? { presence } : {}), exons: exonsOf(o), hgvs, ...(date ? { date } : {}) };
}

function hasProfile(o: Observation, profiles: ReadonlySet<string>): boolean {
  return asStrings(o.meta?.profile).some((p) => profiles.has(p.replace(/\|.*$/, '')));
}

function hasLoinc(o: Observation, code: string): boolean {
  return codesOf(o.code, LOINC).includes(code);
}

function collect(idx: ResourceIndex): { variants: GeneticResult[]; regions: GeneticResult[]; legacyKit: GeneticResult[] } {
  const variantObs = new Set<Observation>(observationsWithLoinc(idx, [GENOMIC_LOINC.variant]));
  const regionObs = new Set<Observation>(observationsWithLoinc(idx, [GENOMIC_LOINC.regionStudied]));
  for (const p of VARIANT_PROFILES) for (const o of idx.observationsByProfile.get(p) ?? []) if (!hasLoinc(o, GENOMIC_LOINC.regionStudied)) variantObs.add(o);
  for (const p of REGION_STUDIED_PROFILES) for (const o of idx.observationsByProfile.get(p) ?? []) regionObs.add(o);
  for (const o of idx.legacyGenetics) if (!regionObs.has(o) && !hasProfile(o, REGION_STUDIED_PROFILES)) variantObs.add(o);
  const legacyKit = observationsWithLoinc(idx, [GENOMIC_LOINC.kitMutationAnalysis]).map((o): GeneticResult => {
    const presence = valuePresence(o);
    const date = observationDate(o);
    return { observation: o, genes: ['KIT'], ...(presence ? { presence } : {}), exons: [], hgvs: [], ...(date ? { date } : {}) };
  });
  return {
    variants: [...variantObs].filter((o) => !legacyKit.some((l) => l.observation === o)).map(readVariant),
    regions: [...regionObs].map((o) => {
      const date = observationDate(o);
      return { observation: o, genes: genesOfObservation(o), exons: [], hgvs: [], ...(date ? { date } : {}) };
    }),
    legacyKit,
  };
}

/** Preliminary/registered results naming KIT or PDGFRA (the legacy 55201-8 test is a KIT test), newest first. */
function pendingResults(idx: ResourceIndex): Evidence[] {
  const codes = [GENOMIC_LOINC.variant, GENOMIC_LOINC.regionStudied, GENOMIC_LOINC.kitMutationAnalysis];
  const candidates = new Set<Observation>([...pendingWithLoinc(idx, codes), ...idx.pendingGenetics]);
  const out: GeneticResult[] = [];
  for (const o of candidates) {
    const genes = hasLoinc(o, GENOMIC_LOINC.kitMutationAnalysis) ? (['KIT'] as GeneSymbol[]) : genesOfObservation(o);
    if (!genes.includes('KIT') && !genes.includes('PDGFRA')) continue;
    const date = observationDate(o);
    out.push({ observation: o, genes, exons: [], hgvs: [], ...(date ? { date } : {}) });
  }
  return out.sort(byDateDesc).map((r) => {
    const genes = r.genes.filter((g) => g === 'KIT' || g === 'PDGFRA').join('/');
    return evidence(r, `preliminary ${genes} result${on(r.date)}, awaiting its final report`);
  });
}

function on(date: string | undefined): string {
  return date ? ` reported ${day(date)}` : '';
}

function evidence(r: GeneticResult, description: string): Evidence {
  return { description, ...(r.date ? { date: r.date } : {}), sourceRef: ref(r.observation) };
}

function changesText(r: GeneticResult): string {
  return r.hgvs.length ? ` ${r.hgvs.map((h) => h.raw).join(', ')}` : '';
}

function exon9Of(r: GeneticResult): Evidence | undefined {
  if (r.presence !== 'present' || !r.genes.includes('KIT')) return undefined;
  const byRegion = r.exons.some((e) => EXON_9.test(e));
  const byHgvs = r.hgvs.some((h) => matchesHotspot(h.norm, KIT_EXON9_HOTSPOT));
  if (!byRegion && !byHgvs) return undefined;
  return evidence(r, `KIT exon 9 variant${changesText(r)}${on(r.date)}`);
}

function d842vOf(r: GeneticResult): Evidence | undefined {
  if (r.presence !== 'present' || !r.genes.includes('PDGFRA')) return undefined;
  const hit = r.hgvs.find((h) => matchesHotspot(h.norm, PDGFRA_D842V));
  return hit ? evidence(r, `PDGFRA D842V (${hit.raw})${on(r.date)}`) : undefined;
}

/** Latest first, so that each fact's evidence is the most recent report. */
function byDateDesc(a: GeneticResult, b: GeneticResult): number {
  return (b.date ?? '').localeCompare(a.date ?? '');
}

function nf1Condition(conditions: readonly Condition[]): Evidence | undefined {
  for (const c of conditions) {
    if (!isRealCondition(c)) continue;
    const coding = nf1ConditionCoding(c.code);
    if (!coding) continue;
    const date = conditionDate(c);
    return { description: `NF1-associated: ${describeCoding(coding)}${date ? `, recorded ${day(date)}` : ''}`, ...(date ? { date } : {}), sourceRef: ref(c) };
  }
  return undefined;
}

export function deriveGenotype(idx: ResourceIndex): GenotypeFacts {
  const { variants, regions, legacyKit } = collect(idx);
  const results = [...variants, ...legacyKit, ...regions].sort(byDateDesc);
  const tested = (gene: GeneSymbol): GeneticResult[] => results.filter((r) => r.genes.includes(gene));
  const withVariant = (gene: GeneSymbol): GeneticResult | undefined => [...variants, ...legacyKit].sort(byDateDesc).find((r) => r.genes.includes(gene) && r.presence === 'present');
  // A result whose presence we cannot read (e.g. free text we do not understand) blocks a wild-type call.
  const unclear = (gene: GeneSymbol): boolean => [...variants, ...legacyKit].some((r) => r.genes.includes(gene) && r.presence === undefined);

  const kitResults = tested('KIT');
  const pdgfraResults = tested('PDGFRA');
  const kitVariant = withVariant('KIT');
  const pdgfraVariant = withVariant('PDGFRA');
  const facts: GenotypeFacts = {
    mutationTested: kitResults.length > 0 || pdgfraResults.length > 0,
    kitTested: kitResults.length > 0,
    pdgfraTested: pdgfraResults.length > 0,
    kitVariantPresent: kitVariant !== undefined,
    pdgfraVariantPresent: pdgfraVariant !== undefined,
    pending: pendingResults(idx),
  };

  const sorted = [...variants].sort(byDateDesc);
  for (const r of sorted) {
    facts.kitExon9 ??= exon9Of(r);
    facts.pdgfraD842V ??= d842vOf(r);
  }

  const kitLatest = kitResults[0];
  const pdgfraLatest = pdgfraResults[0];
  if (kitLatest && pdgfraLatest && !kitVariant && !pdgfraVariant && !unclear('KIT') && !unclear('PDGFRA')) {
    const latest = byDateDesc(kitLatest, pdgfraLatest) <= 0 ? kitLatest : pdgfraLatest;
    const dates = [...new Set([kitLatest.date, pdgfraLatest.date].filter((d): d is string => d !== undefined).map(day))];
    facts.wildType = evidence(latest, `KIT and PDGFRA tested, no variant present${dates.length ? ` (${dates.join(', ')})` : ''}`);
  }

  for (const r of sorted) {
    if (r.presence !== 'present') continue;
    const gene = r.genes.find((g) => SDH_NF1_GENES.has(g));
    if (gene) {
      facts.sdhOrNf1 = evidence(r, `${gene} variant present${changesText(r)}${on(r.date)}`);
      break;
    }
  }
  facts.sdhOrNf1 ??= nf1Condition(idx.conditions);
  return facts;
}
