/**
 * Genomics terminology (docs/clinical-rules.md §2; docs/clinical-evidence.md genomics table and HGVS section): LOINC codes of variant
 * Observations and their components, HGNC gene ids, answer codes, and HGVS normalisation with the two
 * hotspots the rules need. Genes are identified by HGNC id only, never by a display (IG examples swap them).
 */
import type { CodeableConcept, Coding } from 'fhir/r4';
import { asString } from '../shape';
import { HGNC, LOINC, SNOMED, canonicalSystem, codingsOf, isSystem } from './systems';

export const GENOMIC_LOINC = {
  variant: '69548-6',
  regionStudied: '53041-0',
  kitMutationAnalysis: '55201-8',
  geneStudied: '48018-6',
  dnaRegionName: '47999-8',
  dnaChange: '48004-6',
  aminoAcidChange: '48005-3',
  genomicDnaChange: '81290-9',
  clinicalSignificance: '53037-8',
} as const;

export const HGVS_COMPONENT_CODES: ReadonlySet<string> = new Set([GENOMIC_LOINC.dnaChange, GENOMIC_LOINC.aminoAcidChange, GENOMIC_LOINC.genomicDnaChange]);

/** Variant profiles whose instances may omit the LOINC code we key on. */
export const VARIANT_PROFILES: ReadonlySet<string> = new Set([
  'http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant',
  'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-genomic-variant',
  'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-genetic-variant',
  'https://www.medizininformatik-initiative.de/fhir/ext/modul-molgen/StructureDefinition/variante',
]);
export const REGION_STUDIED_PROFILES: ReadonlySet<string> = new Set([
  'http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/region-studied',
  'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-genomic-region-studied',
]);

export const EXT_GENETICS_GENE = 'http://hl7.org/fhir/StructureDefinition/observation-geneticsGene';
export const EXT_GENETICS_DNA_REGION = 'http://hl7.org/fhir/StructureDefinition/observation-geneticsDNARegionName';

/** HGNC ids (confirmed: HGNC:6342 KIT, HGNC:8803 PDGFRA, HGNC:10680-10683 SDHA-D, HGNC:7765 NF1). */
export const GENES = {
  KIT: 'HGNC:6342',
  PDGFRA: 'HGNC:8803',
  SDHA: 'HGNC:10680',
  SDHB: 'HGNC:10681',
  SDHC: 'HGNC:10682',
  SDHD: 'HGNC:10683',
  NF1: 'HGNC:7765',
} as const;
export type GeneSymbol = keyof typeof GENES;

const SYMBOL_BY_HGNC = new Map<string, GeneSymbol>(Object.entries(GENES).map(([sym, id]) => [id, sym as GeneSymbol]));
export const SDH_NF1_GENES: ReadonlySet<GeneSymbol> = new Set<GeneSymbol>(['SDHA', 'SDHB', 'SDHC', 'SDHD', 'NF1']);

const HGNC_PREFIXED = /^HGNC:(\d+)$/i;
const BARE_NUMBER = /^\d+$/;

/**
 * "HGNC:<n>" for a gene coding: "HGNC:6342" with the HGNC system or no system, or a bare "6342" with the
 * HGNC system (mCODE region-studied examples). Anything else (display, symbol, another system) is no id.
 */
export function hgncIdOf(coding: Coding): string | undefined {
  const code = asString(coding.code)?.trim();
  if (!code) return undefined;
  const hgncSystem = isSystem(coding, HGNC);
  const prefixed = HGNC_PREFIXED.exec(code);
  if (prefixed && (hgncSystem || coding.system === undefined)) return `HGNC:${prefixed[1]}`;
  if (hgncSystem && BARE_NUMBER.test(code)) return `HGNC:${code}`;
  return undefined;
}

/** Known gene symbols coded in a concept (by HGNC id). */
export function genesOf(concept: CodeableConcept | undefined): GeneSymbol[] {
  const out: GeneSymbol[] = [];
  for (const c of codingsOf(concept)) {
    const id = hgncIdOf(c);
    const sym = id ? SYMBOL_BY_HGNC.get(id) : undefined;
    if (sym && !out.includes(sym)) out.push(sym);
  }
  return out;
}

/** "9", "Exon 9", "exon #9", "EXON 09" — not "19", "intron 9", "9-11". */
export const EXON_9 = /^\s*(exon\s*#?\s*)?0*9\s*$/i;

/** Result answers. Present/absent (LOINC LL1971-2) plus the positive/negative/detected forms seen in legacy results. */
const PRESENT = new Set(['LA9633-4', 'LA6576-8', 'LA11882-0']);
const ABSENT = new Set(['LA9634-2', 'LA6577-6', 'LA11883-8']);
const PRESENT_SNOMED = new Set(['52101004', '10828004', '260373001']);
const ABSENT_SNOMED = new Set(['2667000', '260385009', '260415000']);

export type Presence = 'present' | 'absent';

export function presenceOfConcept(concept: CodeableConcept | undefined): Presence | undefined {
  for (const c of codingsOf(concept)) {
    const code = asString(c.code)?.trim();
    if (!code) continue;
    const system = canonicalSystem(asString(c.system));
    if (system === LOINC && PRESENT.has(code)) return 'present';
    if (system === LOINC && ABSENT.has(code)) return 'absent';
    if (system === SNOMED && PRESENT_SNOMED.has(code)) return 'present';
    if (system === SNOMED && ABSENT_SNOMED.has(code)) return 'absent';
  }
  return undefined;
}

const NEGATIVE_TEXT = /^\s*(negative|neg|absent|not\s+detected|none\s+detected|no\s+(mutation|variant)s?(\s+(detected|identified|found))?|wild[\s-]?type)\b/i;
const POSITIVE_TEXT = /^\s*(positive|pos|present|detected|mutation\s+(detected|identified|found)|mutated)\b/i;

/** Presence from a free-text result; undefined when the text does not say plainly. */
export function presenceOfText(text: unknown): Presence | undefined {
  if (typeof text !== 'string' || !text) return undefined;
  if (NEGATIVE_TEXT.test(text)) return 'absent';
  if (POSITIVE_TEXT.test(text)) return 'present';
  return undefined;
}

/** Clinical significance answers that do not make a variant a finding (LOINC LL4034-6). */
export const BENIGN_SIGNIFICANCE: ReadonlySet<string> = new Set(['LA6675-8', 'LA26334-5']);

// ---------------------------------------------------------------- HGVS

const AMINO_ACIDS: Record<string, string> = {
  Ala: 'A', Arg: 'R', Asn: 'N', Asp: 'D', Cys: 'C', Gln: 'Q', Glu: 'E', Gly: 'G', His: 'H', Ile: 'I',
  Leu: 'L', Lys: 'K', Met: 'M', Phe: 'F', Pro: 'P', Ser: 'S', Thr: 'T', Trp: 'W', Tyr: 'Y', Val: 'V',
  Ter: '*', Sec: 'U', Pyl: 'O', Xaa: 'X', Asx: 'B', Glx: 'Z',
};
// Case-sensitive: one-letter runs such as "insALA" must not be read as three-letter codes.
const THREE_LETTER = new RegExp(Object.keys(AMINO_ACIDS).join('|'), 'g');
/** A leading reference sequence (RefSeq, Ensembl, LRG; optional version and "(GENE)"), or a bare gene symbol, before the colon. */
const REFERENCE = /^\s*((?:N[MPCGRT]|X[MPR])_\d+(?:\.\d+)?|ENS[TPG]\d+(?:\.\d+)?|LRG_\d+(?:[tp]\d+)?|[A-Z][A-Z0-9-]*)?\s*(?:\(([^)]*)\))?\s*:\s*(?=[cgnmrp]\.)/i;
const PROTEIN_PARENS = /^p\.\((.*)\)$/i;
/** "dupGCCTAT" and "delGAT" restate the deleted/duplicated bases; HGVS recommends omitting them. */
const RESTATED_BASES = /(dup|del)[ACGTN]+$/i;

export interface NormalisedHgvs {
  /** Reference sequence accession without version, upper-case (e.g. "NM_000222"), when one was given. */
  reference?: string;
  /** Canonical change for equality tests, e.g. "C.1504_1509DUP", "P.A502_Y503DUP". */
  change: string;
}

const HGVS_CACHE_MAX = 1024;
/** The same variant strings come with every request of a patient; bounded (they come from outside). */
const hgvsCache = new Map<string, Readonly<NormalisedHgvs> | null>();

/** An HGVS expression in canonical form for equality tests (memoised; the result is shared: do not modify). */
export function normaliseHgvs(raw: string): Readonly<NormalisedHgvs> | undefined {
  const hit = hgvsCache.get(raw);
  if (hit !== undefined) return hit ?? undefined;
  const n = parseHgvs(raw);
  if (hgvsCache.size >= HGVS_CACHE_MAX) hgvsCache.clear();
  hgvsCache.set(raw, n ? Object.freeze(n) : null);
  return n;
}

function parseHgvs(raw: string): NormalisedHgvs | undefined {
  let s = raw.trim();
  let reference: string | undefined;
  const ref = REFERENCE.exec(s);
  if (ref) {
    const accession = ref[1];
    if (accession && /_|^ENS|^LRG/i.test(accession)) reference = accession.replace(/\.\d+$/, '').toUpperCase();
    s = s.slice(ref[0].length);
  }
  s = s.replace(/\s+/g, '');
  if (!/^[cgnmrp]\./i.test(s)) return undefined;
  const parens = PROTEIN_PARENS.exec(s);
  if (parens) s = `p.${parens[1]}`;
  if (/^p\./i.test(s)) s = s.replace(THREE_LETTER, (aa) => AMINO_ACIDS[aa] ?? aa);
  else s = s.replace(RESTATED_BASES, '$1');
  return { ...(reference ? { reference } : {}), change: s.toUpperCase() };
}

interface Hotspot {
  gene: GeneSymbol;
  /** Accession (no version) a c./n. change must be on when a RefSeq transcript is named. */
  transcript: string;
  changes: ReadonlySet<string>;
}

function hotspot(gene: GeneSymbol, transcript: string, spellings: string[]): Hotspot {
  const changes = new Set<string>();
  for (const s of spellings) {
    const n = normaliseHgvs(s);
    if (!n) throw new Error(`bad built-in HGVS ${s}`);
    changes.add(n.change);
  }
  return { gene, transcript, changes };
}

/** KIT exon 9 hotspot: A502_Y503 duplication in all its published spellings (docs/clinical-evidence.md §4). */
export const KIT_EXON9_HOTSPOT = hotspot('KIT', 'NM_000222', [
  'c.1504_1509dup',
  'c.1509_1510insGCCTAT',
  'p.Ala502_Tyr503dup',
  'p.A502_Y503insYA',
  'p.Y503_F504insAY',
  'p.Tyr503_Phe504insAlaTyr',
]);

/** PDGFRA D842V (NM_006206.x c.2525A>T, NP_006197.1 p.Asp842Val). */
export const PDGFRA_D842V = hotspot('PDGFRA', 'NM_006206', ['p.Asp842Val', 'c.2525A>T']);

/** Equality with the hotspot, after normalisation; a c. change named on another RefSeq transcript does not count. */
export function matchesHotspot(hgvs: NormalisedHgvs, spot: Hotspot): boolean {
  if (!spot.changes.has(hgvs.change)) return false;
  const onTranscript = hgvs.change.startsWith('C.') || hgvs.change.startsWith('N.');
  if (onTranscript && hgvs.reference && /^(NM|XM|NR)_/.test(hgvs.reference)) return hgvs.reference === spot.transcript;
  return true;
}
