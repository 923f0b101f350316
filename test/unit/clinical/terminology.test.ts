import {
  EXON_9,
  KIT_EXON9_HOTSPOT,
  PDGFRA_D842V,
  genesOf,
  gistCoding,
  hgncIdOf,
  interactingDrugByRxcui,
  interactingDrugsInText,
  matchesHotspot,
  nf1ConditionCoding,
  normaliseHgvs,
  pregnancyConditionCoding,
  secondaryMalignancyCoding,
  severeHepaticImpairmentCoding,
  canonicalSystem,
  ICD10CM,
  SNOMED,
} from '../../../src/clinical/terminology';

const icd = (code: string) => ({ coding: [{ system: ICD10CM, code }] });
const sct = (code: string, display?: string) => ({ coding: [{ system: SNOMED, code, ...(display ? { display } : {}) }] });

function isHotspot(hgvs: string, spot: typeof KIT_EXON9_HOTSPOT): boolean {
  const n = normaliseHgvs(hgvs);
  return n !== undefined && matchesHotspot(n, spot);
}

describe('HGVS normalisation and hotspots', () => {
  it.each([
    'c.1504_1509dup',
    'NM_000222.3:c.1504_1509dup',
    'NM_000222.2:c.1504_1509dupGCCTAT',
    'NM_000222.3(KIT):c.1504_1509dup',
    'c.1509_1510insGCCTAT',
    'p.Ala502_Tyr503dup',
    'p.(Ala502_Tyr503dup)',
    'NP_000213.1:p.(Ala502_Tyr503dup)',
    'p.A502_Y503dup',
    'p.A502_Y503insYA',
    'p.Y503_F504insAY',
    'p.Tyr503_Phe504insAlaTyr',
    'ENST00000288135.6:c.1504_1509dup',
    ' KIT:p.A502_Y503dup ',
  ])('recognises the KIT exon 9 hotspot written %s', (hgvs) => {
    expect(isHotspot(hgvs, KIT_EXON9_HOTSPOT)).toBe(true);
  });

  it.each(['c.1504_1509del', 'c.1504_1510dup', 'p.A502_Y503del', 'c.1504_1509dup_extra', 'NM_006206.4:c.1504_1509dup', 'xc.1504_1509dup', 'p.Ala502_Tyr503dupAla'])(
    'does not take %s for the exon 9 hotspot (equality, not substring; KIT transcript only)',
    (hgvs) => {
      expect(isHotspot(hgvs, KIT_EXON9_HOTSPOT)).toBe(false);
    },
  );

  it.each(['p.Asp842Val', 'p.D842V', 'p.(Asp842Val)', 'NP_006197.1:p.Asp842Val', 'c.2525A>T', 'NM_006206.4:c.2525A>T', 'NM_006206.6:c.2525A>T'])(
    'recognises PDGFRA D842V written %s',
    (hgvs) => expect(isHotspot(hgvs, PDGFRA_D842V)).toBe(true),
  );

  it.each(['p.D842_H845del', 'p.I843_D846del', 'p.D846Y', 'p.D842I', 'p.Asp842Tyr', 'c.2525A>G', 'NM_000222.3:c.2525A>T', 'p.D842V842'])(
    'does not take %s for PDGFRA D842V',
    (hgvs) => expect(isHotspot(hgvs, PDGFRA_D842V)).toBe(false),
  );

  it('keeps the reference accession without its version', () => {
    expect(normaliseHgvs('NM_000222.3:c.1504_1509dup')).toEqual({ reference: 'NM_000222', change: 'C.1504_1509DUP' });
    expect(normaliseHgvs('not hgvs')).toBeUndefined();
  });
});

describe('exon 9 region', () => {
  it.each(['9', 'Exon 9', 'exon #9', 'EXON 9', ' 09 ', 'Exon#9'])('matches "%s"', (s) => expect(EXON_9.test(s)).toBe(true));
  it.each(['19', 'intron 9', '9-11', 'Exon 9-11', 'exon 90', 'Exon 11', '', 'exon'])('does not match "%s"', (s) => expect(EXON_9.test(s)).toBe(false));
});

describe('HGNC gene ids', () => {
  it('reads HGNC:6342 with the HGNC system (any of its spellings) or no system', () => {
    expect(hgncIdOf({ system: 'http://www.genenames.org', code: 'HGNC:6342' })).toBe('HGNC:6342');
    expect(hgncIdOf({ system: 'https://www.genenames.org/geneId', code: 'HGNC:6342' })).toBe('HGNC:6342');
    expect(hgncIdOf({ code: 'HGNC:8803' })).toBe('HGNC:8803');
  });

  it('reads a bare number only with the HGNC system', () => {
    expect(hgncIdOf({ system: 'http://www.genenames.org', code: '6342' })).toBe('HGNC:6342');
    expect(hgncIdOf({ code: '6342' })).toBeUndefined();
    expect(hgncIdOf({ system: 'http://www.ncbi.nlm.nih.gov/gene', code: '3815' })).toBeUndefined();
  });

  it('identifies genes by code, never by display', () => {
    expect(genesOf({ coding: [{ system: 'http://www.genenames.org', code: 'HGNC:6342', display: 'NRAS' }] })).toEqual(['KIT']);
    expect(genesOf({ coding: [{ system: 'http://www.genenames.org', code: 'HGNC:7989', display: 'KIT' }] })).toEqual([]);
    expect(genesOf({ text: 'KIT' })).toEqual([]);
    expect(genesOf({ coding: [{ system: 'http://www.genenames.org', code: 'HGNC:10681' }, { system: 'http://www.genenames.org', code: 'HGNC:7765' }] })).toEqual(['SDHB', 'NF1']);
  });
});

describe('diagnosis codes', () => {
  it('recognises GIST by ICD-10-CM C49.A* (with or without the dot) and SNOMED 420120006', () => {
    for (const code of ['C49.A0', 'C49.A2', 'C49.A9', 'C49A3', 'c49.a5']) expect(gistCoding(icd(code))).toBeDefined();
    expect(gistCoding(sct('420120006'))).toBeDefined();
    expect(gistCoding(icd('C49.4'))).toBeUndefined();
    expect(gistCoding(icd('D21.4'))).toBeUndefined();
    expect(gistCoding({ coding: [{ system: SNOMED, code: 'C49.A2' }] })).toBeUndefined();
  });

  it('recognises secondary malignancy codes', () => {
    for (const code of ['C78.7', 'C78.6', 'C77.2', 'C79.51', 'C7B.02']) expect(secondaryMalignancyCoding(icd(code))).toBeDefined();
    for (const code of ['94381002', '128462008', '94222008']) expect(secondaryMalignancyCoding(sct(code))).toBeDefined();
    expect(secondaryMalignancyCoding(sct('999999999', 'Secondary malignant neoplasm of peritoneum (disorder)'))).toBeDefined();
    expect(secondaryMalignancyCoding(sct('999999998', 'History of secondary malignant neoplasm'))).toBeUndefined();
    expect(secondaryMalignancyCoding(icd('C80.0'))).toBeUndefined();
    expect(secondaryMalignancyCoding(icd('C49.A2'))).toBeUndefined();
  });

  it('recognises pregnancy, severe hepatic impairment and NF1 codes', () => {
    for (const code of ['Z33.1', 'O09.90', 'O26.851', 'O9A.111', 'O00.101']) expect(pregnancyConditionCoding(icd(code))).toBeDefined();
    expect(pregnancyConditionCoding(sct('77386006'))).toBeDefined();
    expect(pregnancyConditionCoding(icd('Z33.2'))).toBeUndefined();
    expect(pregnancyConditionCoding(icd('Z34.00'))).toBeUndefined();
    for (const code of ['K72.10', 'K72.11', 'K72.90', 'K72.91']) expect(severeHepaticImpairmentCoding(icd(code))).toBeDefined();
    expect(severeHepaticImpairmentCoding(icd('K72.00'))).toBeUndefined();
    expect(severeHepaticImpairmentCoding(sct('59927004'))).toBeDefined();
    expect(nf1ConditionCoding(sct('92824003'))).toBeDefined();
    expect(nf1ConditionCoding(icd('Q85.01'))).toBeDefined();
    expect(nf1ConditionCoding(icd('Q85.02'))).toBeUndefined();
  });
});

describe('interacting drugs', () => {
  it('knows the verified ingredient codes', () => {
    const expected: Record<string, string> = {
      '9384': 'rifampin',
      '55672': 'rifabutin',
      '2002': 'carbamazepine',
      '8183': 'phenytoin',
      '8134': 'phenobarbital',
      '3264': 'dexamethasone',
      '258326': "St John's wort",
      '6135': 'ketoconazole',
      '28031': 'itraconazole',
      '282446': 'posaconazole',
      '121243': 'voriconazole',
      '21212': 'clarithromycin',
      '85762': 'ritonavir',
      '1306284': 'cobicistat',
      '11289': 'warfarin',
    };
    for (const [code, name] of Object.entries(expected)) expect(interactingDrugByRxcui(code)?.name).toBe(name);
  });

  it('matches names case-insensitively on whole words, brands and spelling variants included', () => {
    expect(interactingDrugsInText('RIFAMPIN 300 MG Oral Capsule').map((d) => d.name)).toEqual(['rifampin']);
    expect(interactingDrugsInText('Rifampicin').map((d) => d.name)).toEqual(['rifampin']);
    expect(interactingDrugsInText('Coumadin 5 mg').map((d) => d.name)).toEqual(['warfarin']);
    expect(interactingDrugsInText("St. John's Wort 300 mg").map((d) => d.name)).toEqual(["St John's wort"]);
    expect(interactingDrugsInText('St Johns wort extract').map((d) => d.name)).toEqual(["St John's wort"]);
    expect(interactingDrugsInText('Hypericum perforatum').map((d) => d.name)).toEqual(["St John's wort"]);
    expect(interactingDrugsInText('nirmatrelvir 150 MG / ritonavir 100 MG').map((d) => d.name)).toEqual(['ritonavir']);
  });

  it('does not match parts of other words', () => {
    expect(interactingDrugsInText('rifapentine 150 MG')).toEqual([]);
    expect(interactingDrugsInText('warfarinoid')).toEqual([]);
    expect(interactingDrugsInText('fluconazole 150 mg')).toEqual([]);
  });
});

describe('code systems', () => {
  it('accepts OID and https spellings of the systems', () => {
    expect(canonicalSystem('urn:oid:2.16.840.1.113883.6.96')).toBe(SNOMED);
    expect(canonicalSystem('http://hl7.org/fhir/sid/icd-10-cm/')).toBe(ICD10CM);
    expect(canonicalSystem('http://example.org/x')).toBe('http://example.org/x');
  });
});
