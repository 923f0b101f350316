/**
 * Partial data (docs/clinical-rules.md §7): which kinds of patient data a missing prefetch key may have held.
 * A key is missing when it was absent and could not be fetched (or its fetch failed); missing is not empty,
 * so every fact that the key could have held is "not known" rather than "none".
 *
 * A missing key affects a data domain when it searches the domain's resource type and either names no codes
 * or names one of the domain's codes: the hooks' own templates decide, so another hooks file stays correct.
 */
import { LOINC, SNOMED } from './terminology/systems';
import { unknown, type Unknown } from './tri';

export type DataDomain =
  | 'conditions'
  | 'genomics'
  | 'diseaseStatus'
  | 'staging'
  | 'anc'
  | 'platelets'
  | 'bilirubin'
  | 'alt'
  | 'ast'
  | 'renal'
  | 'pregnancyTests'
  | 'medicationRequests'
  | 'medicationStatements';

/** A prefetch key that could not be obtained, as the clinical core sees it. */
export interface MissingData {
  key: string;
  /** The key in words for people ("labs", "pregnancy"). */
  label: string;
  /** Why it could not be obtained (no URL, no token). */
  reason: string;
  resourceType: string;
  /** "system|code" of the template's code= parameter; undefined = the template does not filter by code. */
  codes?: readonly string[];
}

const loinc = (...codes: string[]) => codes.map((c) => `${LOINC}|${c}`);
const snomed = (...codes: string[]) => codes.map((c) => `${SNOMED}|${c}`);

/** LOINC codes per lab (docs/clinical-rules.md §2). Neutrophils % (26511-6) is deliberately absent. */
export const LAB_LOINC = {
  anc: ['751-8', '753-4', '26499-4'],
  platelets: ['777-3', '26515-7'],
  bilirubin: ['1975-2', '14631-6'],
  alt: ['1742-6'],
  ast: ['1920-8'],
  crcl: ['2164-2', '35591-7'],
  egfr: ['98979-8', '62238-1', '33914-3'],
} as const;

export const TNM_M_SNOMED = ['277208005', '399387003', '371497001'] as const;
export const TNM_M_LOINC = ['21907-1', '21901-4', '21913-9'] as const;

interface DomainSource {
  resourceType: string;
  /** undefined = every resource of the type. */
  codes?: ReadonlySet<string>;
}

const DOMAIN_SOURCES: Readonly<Record<DataDomain, DomainSource>> = {
  conditions: { resourceType: 'Condition' },
  genomics: { resourceType: 'Observation', codes: new Set(loinc('69548-6', '53041-0', '55201-8')) },
  diseaseStatus: { resourceType: 'Observation', codes: new Set(loinc('97509-4')) },
  staging: { resourceType: 'Observation', codes: new Set([...snomed(...TNM_M_SNOMED), ...loinc(...TNM_M_LOINC)]) },
  anc: { resourceType: 'Observation', codes: new Set(loinc(...LAB_LOINC.anc)) },
  platelets: { resourceType: 'Observation', codes: new Set(loinc(...LAB_LOINC.platelets)) },
  bilirubin: { resourceType: 'Observation', codes: new Set(loinc(...LAB_LOINC.bilirubin)) },
  alt: { resourceType: 'Observation', codes: new Set(loinc(...LAB_LOINC.alt)) },
  ast: { resourceType: 'Observation', codes: new Set(loinc(...LAB_LOINC.ast)) },
  renal: { resourceType: 'Observation', codes: new Set(loinc(...LAB_LOINC.crcl, ...LAB_LOINC.egfr)) },
  pregnancyTests: { resourceType: 'Observation', codes: new Set(loinc('82810-3', '2106-3', '2118-8')) },
  medicationRequests: { resourceType: 'MedicationRequest' },
  medicationStatements: { resourceType: 'MedicationStatement' },
};

const DOMAINS = Object.keys(DOMAIN_SOURCES) as DataDomain[];

function affects(missing: MissingData, source: DomainSource): boolean {
  if (missing.resourceType !== source.resourceType) return false;
  if (!missing.codes || !source.codes) return true;
  return missing.codes.some((c) => source.codes?.has(normaliseCode(c)));
}

/** "http://loinc.org|751-8" as written in a template, without a trailing slash on the system. */
function normaliseCode(code: string): string {
  const bar = code.lastIndexOf('|');
  if (bar < 0) return code.trim();
  return `${code.slice(0, bar).trim().replace(/\/+$/, '')}|${code.slice(bar + 1).trim()}`;
}

/** The data domains that missing keys leave incomplete, each with the keys responsible. */
export class DataGaps {
  private readonly byDomain = new Map<DataDomain, MissingData[]>();

  constructor(readonly missing: readonly MissingData[] = []) {
    for (const m of missing) {
      for (const d of DOMAINS) {
        if (!affects(m, DOMAIN_SOURCES[d])) continue;
        const list = this.byDomain.get(d);
        if (list) list.push(m);
        else this.byDomain.set(d, [m]);
      }
    }
  }

  get complete(): boolean {
    return this.missing.length === 0;
  }

  has(domain: DataDomain): boolean {
    return this.byDomain.has(domain);
  }

  /** undefined when the domain is complete; else "not known: no data from the EHR for labs". */
  unknownFor(...domains: DataDomain[]): Unknown | undefined {
    const keys = new Map<string, MissingData>();
    for (const d of domains) for (const m of this.byDomain.get(d) ?? []) keys.set(m.key, m);
    if (keys.size === 0) return undefined;
    const list = [...keys.values()];
    return unknown({ text: `no data from the EHR for ${labelList(list)}`, cause: 'unavailable', keys: list.map((m) => m.key) });
  }
}

/** "labs, pregnancy" (each label once, in order), as the contract's DATA_INCOMPLETE example reads. */
export function labelList(missing: readonly Pick<MissingData, 'label'>[]): string {
  return [...new Set(missing.map((m) => m.label))].join(', ');
}
