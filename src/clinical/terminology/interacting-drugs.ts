/**
 * Drugs that interact with imatinib (docs/clinical-rules.md §2 co-medications; docs/clinical-evidence.md §C and its verification
 * update for the RxNorm ingredient codes). A product (SCD/SBD) rarely carries its ingredient code, so each
 * drug is also matched by name, brand names included, on whole words.
 */
export type InteractionClass = 'cyp3a4Inducer' | 'cyp3a4Inhibitor' | 'warfarin';

export interface InteractingDrug {
  /** Name shown to the clinician. */
  name: string;
  interaction: InteractionClass;
  /** RxNorm ingredient RXCUIs (verified ones only; empty = matched by name alone). */
  rxcuis: readonly string[];
  /** Lower-case names and brands, matched case-insensitively on word boundaries. */
  names: readonly string[];
  /** Extra patterns for names with punctuation variants. */
  patterns?: readonly RegExp[];
  /**
   * Measured cut in imatinib exposure (AUC) with this inducer, in percent as the source states it
   * (docs/clinical-evidence.md B7: rifampicin 74, enzyme-inducing antiepileptics 73, St John's wort 30–32).
   * Absent: no measured figure.
   */
  exposureCutPercent?: string;
}

export const INTERACTING_DRUGS: readonly InteractingDrug[] = [
  // Strong CYP3A4 inducers named in imatinib labelling.
  { name: 'rifampin', interaction: 'cyp3a4Inducer', rxcuis: ['9384'], names: ['rifampin', 'rifampicin', 'rifadin', 'rimactane'], exposureCutPercent: '74' },
  { name: 'rifabutin', interaction: 'cyp3a4Inducer', rxcuis: ['55672'], names: ['rifabutin', 'mycobutin'] },
  { name: 'carbamazepine', interaction: 'cyp3a4Inducer', rxcuis: ['2002'], names: ['carbamazepine', 'tegretol', 'carbatrol', 'epitol', 'equetro'], exposureCutPercent: '73' },
  // Fosphenytoin is a phenytoin prodrug: same induction.
  { name: 'phenytoin', interaction: 'cyp3a4Inducer', rxcuis: ['8183'], names: ['phenytoin', 'fosphenytoin', 'dilantin', 'phenytek', 'cerebyx'], exposureCutPercent: '73' },
  { name: 'phenobarbital', interaction: 'cyp3a4Inducer', rxcuis: ['8134'], names: ['phenobarbital', 'phenobarbitone', 'luminal'], exposureCutPercent: '73' },
  { name: 'dexamethasone', interaction: 'cyp3a4Inducer', rxcuis: ['3264'], names: ['dexamethasone', 'decadron', 'hemady'] },
  {
    name: "St John's wort",
    interaction: 'cyp3a4Inducer',
    rxcuis: ['258326'],
    names: ['hypericum perforatum', 'hypericum'],
    patterns: [/\b(?:st\.?|saint)\s*john[’'`]?s?\s*[-\s]?wort\b/i],
    exposureCutPercent: '30–32',
  },
  // Strong CYP3A4 inhibitors (labelling: azoles, clarithromycin, telithromycin, HIV protease inhibitors, cobicistat).
  { name: 'ketoconazole', interaction: 'cyp3a4Inhibitor', rxcuis: ['6135'], names: ['ketoconazole', 'nizoral'] },
  { name: 'itraconazole', interaction: 'cyp3a4Inhibitor', rxcuis: ['28031'], names: ['itraconazole', 'sporanox', 'tolsura', 'onmel'] },
  { name: 'posaconazole', interaction: 'cyp3a4Inhibitor', rxcuis: ['282446'], names: ['posaconazole', 'noxafil'] },
  { name: 'voriconazole', interaction: 'cyp3a4Inhibitor', rxcuis: ['121243'], names: ['voriconazole', 'vfend'] },
  { name: 'clarithromycin', interaction: 'cyp3a4Inhibitor', rxcuis: ['21212'], names: ['clarithromycin', 'biaxin'] },
  { name: 'telithromycin', interaction: 'cyp3a4Inhibitor', rxcuis: [], names: ['telithromycin', 'ketek'] },
  { name: 'ritonavir', interaction: 'cyp3a4Inhibitor', rxcuis: ['85762'], names: ['ritonavir', 'norvir', 'paxlovid', 'kaletra'] },
  { name: 'cobicistat', interaction: 'cyp3a4Inhibitor', rxcuis: ['1306284'], names: ['cobicistat', 'tybost', 'stribild', 'genvoya', 'prezcobix', 'evotaz', 'symtuza'] },
  { name: 'indinavir', interaction: 'cyp3a4Inhibitor', rxcuis: [], names: ['indinavir', 'crixivan'] },
  { name: 'nelfinavir', interaction: 'cyp3a4Inhibitor', rxcuis: [], names: ['nelfinavir', 'viracept'] },
  { name: 'saquinavir', interaction: 'cyp3a4Inhibitor', rxcuis: [], names: ['saquinavir', 'invirase'] },
  // CYP2C9 substrate whose levels imatinib raises.
  { name: 'warfarin', interaction: 'warfarin', rxcuis: ['11289'], names: ['warfarin', 'coumadin', 'jantoven'] },
];

/**
 * Names are matched on whole words: the text is lower-cased and split into words once, and each word (and
 * each pair of words, for "hypericum perforatum") is looked up in a map built at load. Word matching keeps
 * "rifampin" out of "rifapentine"; a lookup per word keeps this cheap on long medication lists.
 */
const BY_NAME = new Map<string, InteractingDrug>();
for (const drug of INTERACTING_DRUGS) for (const n of drug.names) BY_NAME.set(n.toLowerCase().replace(/\s+/g, ' '), drug);
const WORD_SPLIT = /[^a-z0-9]+/;
const EXTRA_PATTERNS: ReadonlyArray<{ drug: InteractingDrug; pattern: RegExp }> = INTERACTING_DRUGS.flatMap((drug) => (drug.patterns ?? []).map((pattern) => ({ drug, pattern })));
/** The extra patterns all end in "wort": skip them unless the word is there. */
const EXTRA_HINT = 'wort';

const BY_RXCUI = new Map<string, InteractingDrug>();
for (const drug of INTERACTING_DRUGS) for (const code of drug.rxcuis) BY_RXCUI.set(code, drug);

export function interactingDrugByRxcui(rxcui: string): InteractingDrug | undefined {
  return BY_RXCUI.get(rxcui);
}

const TEXT_CACHE_MAX = 2048;
/** Medication names repeat across a patient's records and across requests; bounded (the text comes from outside). */
const byText = new Map<string, readonly InteractingDrug[]>();

/** Every interacting drug named in `text` (combination products can name two), in order of appearance. */
export function interactingDrugsInText(text: string): readonly InteractingDrug[] {
  const hit = byText.get(text);
  if (hit) return hit;
  const found = scanText(text);
  if (byText.size >= TEXT_CACHE_MAX) byText.clear();
  byText.set(text, found);
  return found;
}

function scanText(text: string): readonly InteractingDrug[] {
  const out: InteractingDrug[] = [];
  const lower = text.toLowerCase();
  const words = lower.split(WORD_SPLIT);
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i];
    if (!word) continue;
    const next = words[i + 1];
    const drug = (next ? BY_NAME.get(`${word} ${next}`) : undefined) ?? BY_NAME.get(word);
    if (drug && !out.includes(drug)) out.push(drug);
  }
  if (lower.includes(EXTRA_HINT)) {
    for (const { drug, pattern } of EXTRA_PATTERNS) if (!out.includes(drug) && pattern.test(text)) out.push(drug);
  }
  return out;
}
