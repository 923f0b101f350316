import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, FhirResource, Observation } from 'fhir/r4';
import { derive } from '../../helpers/derive';
import { condition, GENE_HGNC, legacyKitTest, regionStudied, SYSTEMS, variantObservation } from '../../helpers/fhir-builders';

const genotype = (resources: FhirResource[]) => derive(resources).genotype;

function fixture(rel: string): FhirResource {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '../../fixtures', rel), 'utf8')) as FhirResource;
}
function unpack(b: FhirResource): FhirResource[] {
  return b.resourceType === 'Bundle' ? ((b as Bundle).entry ?? []).map((e) => e.resource as FhirResource).filter(Boolean) : [b];
}

describe('KIT exon 9', () => {
  it('is found from the DNA region component, with the report date', () => {
    const g = genotype([variantObservation({ id: 'v', gene: 'KIT', exon: 'Exon 9', date: '2025-01-20' })]);
    expect(g.kitExon9).toEqual({ description: 'KIT exon 9 variant reported 2025-01-20', date: '2025-01-20', sourceRef: 'Observation/v' });
    expect(g).toMatchObject({ mutationTested: true, kitTested: true, kitVariantPresent: true, pdgfraTested: false });
  });

  it.each(['9', 'exon 9', 'Exon #9', 'EXON 9'])('accepts the region written "%s"', (exon) => {
    expect(genotype([variantObservation({ gene: 'KIT', exon })]).kitExon9).toBeDefined();
  });

  it.each(['19', 'intron 9', '9-11', 'Exon 11'])('rejects the region written "%s"', (exon) => {
    const g = genotype([variantObservation({ gene: 'KIT', exon })]);
    expect(g.kitExon9).toBeUndefined();
    expect(g.kitVariantPresent).toBe(true);
  });

  it('reads the region from the R4 extension observation-geneticsDNARegionName', () => {
    expect(genotype([variantObservation({ gene: 'KIT', exon: '9', exonAsExtension: true })]).kitExon9).toBeDefined();
  });

  it('is found from the HGVS hotspot in any spelling and component, with the change in the description', () => {
    const c = genotype([variantObservation({ gene: 'KIT', cHgvs: 'NM_000222.3:c.1504_1509dup', pHgvs: 'NP_000213.1:p.(Ala502_Tyr503dup)' })]);
    expect(c.kitExon9?.description).toBe('KIT exon 9 variant NM_000222.3:c.1504_1509dup, NP_000213.1:p.(Ala502_Tyr503dup) reported 2025-01-20');
    expect(genotype([variantObservation({ gene: 'KIT', pHgvs: 'p.Y503_F504insAY', hgvsAsString: true })]).kitExon9).toBeDefined();
    expect(genotype([variantObservation({ gene: 'KIT', gHgvs: 'c.1509_1510insGCCTAT' })]).kitExon9).toBeDefined();
  });

  it('counts a variant without value[x] when a c./p. HGVS is reported', () => {
    expect(genotype([variantObservation({ gene: 'KIT', value: 'none', cHgvs: 'c.1504_1509dup' })]).kitExon9).toBeDefined();
    const noHgvs = genotype([variantObservation({ gene: 'KIT', value: 'none', exon: '9' })]);
    expect(noHgvs.kitExon9).toBeUndefined();
    expect(noHgvs.kitTested).toBe(true);
  });

  it('is not found when the variant is Absent', () => {
    const g = genotype([variantObservation({ gene: 'KIT', exon: '9', value: 'absent' })]);
    expect(g.kitExon9).toBeUndefined();
    expect(g).toMatchObject({ kitTested: true, kitVariantPresent: false });
  });

  it('needs the KIT gene by code: exon 9 on PDGFRA is not KIT exon 9, and a KIT display on another code is not KIT', () => {
    expect(genotype([variantObservation({ gene: 'PDGFRA', exon: '9' })]).kitExon9).toBeUndefined();
    const wrongCode = variantObservation({ geneCoding: { system: SYSTEMS.hgnc, code: 'HGNC:7989', display: 'KIT' }, exon: '9' });
    expect(genotype([wrongCode])).toMatchObject({ kitTested: false, kitVariantPresent: false });
    const bare = variantObservation({ geneCoding: { system: SYSTEMS.hgnc, code: '6342' }, exon: '9' });
    expect(genotype([bare]).kitExon9).toBeDefined();
    const bareNoSystem = variantObservation({ geneCoding: { code: '6342' }, exon: '9' });
    expect(genotype([bareNoSystem]).kitTested).toBe(false);
  });

  it('counts amended and corrected results, not preliminary, registered or cancelled ones', () => {
    expect(genotype([variantObservation({ gene: 'KIT', exon: '9', status: 'amended' })]).kitExon9).toBeDefined();
    expect(genotype([variantObservation({ gene: 'KIT', exon: '9', status: 'corrected' })]).kitExon9).toBeDefined();
    for (const status of ['preliminary', 'registered', 'cancelled', 'entered-in-error'] as const) {
      expect(genotype([variantObservation({ gene: 'KIT', exon: '9', status })])).toMatchObject({ mutationTested: false });
    }
  });

  it('recognises a variant by profile when the LOINC code is missing', () => {
    expect(genotype([variantObservation({ gene: 'KIT', exon: '9', loincCode: null })]).kitExon9).toBeDefined();
    const mcode = variantObservation({ gene: 'KIT', exon: '9', loincCode: null, profile: 'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-genomic-variant' });
    expect(genotype([mcode]).kitExon9).toBeDefined();
  });
});

describe('PDGFRA D842V', () => {
  it.each(['p.Asp842Val', 'p.D842V', 'NP_006197.1:p.(Asp842Val)'])('is found from %s', (pHgvs) => {
    expect(genotype([variantObservation({ id: 'p', gene: 'PDGFRA', pHgvs })]).pdgfraD842V).toMatchObject({ sourceRef: 'Observation/p' });
  });

  it('is found from c.2525A>T on PDGFRA', () => {
    const g = genotype([variantObservation({ gene: 'PDGFRA', cHgvs: 'NM_006206.4:c.2525A>T' })]);
    expect(g.pdgfraD842V?.description).toBe('PDGFRA D842V (NM_006206.4:c.2525A>T) reported 2025-01-20');
  });

  it.each(['p.D842_H845del', 'p.I843_D846del', 'p.D846Y', 'p.Asp842Tyr'])('is not found from the other exon 18 change %s', (pHgvs) => {
    const g = genotype([variantObservation({ gene: 'PDGFRA', pHgvs })]);
    expect(g.pdgfraD842V).toBeUndefined();
    expect(g.pdgfraVariantPresent).toBe(true);
  });

  it('is not found on KIT, nor when absent', () => {
    expect(genotype([variantObservation({ gene: 'KIT', pHgvs: 'p.D842V' })]).pdgfraD842V).toBeUndefined();
    expect(genotype([variantObservation({ gene: 'PDGFRA', pHgvs: 'p.D842V', value: 'absent' })]).pdgfraD842V).toBeUndefined();
  });
});

describe('tested, wild-type', () => {
  it('is wild-type when KIT and PDGFRA were both tested with no variant present', () => {
    const g = genotype([variantObservation({ gene: 'KIT', value: 'absent', date: '2025-01-20' }), variantObservation({ id: 'p', gene: 'PDGFRA', value: 'absent', date: '2025-01-22' })]);
    expect(g.wildType).toEqual({ description: 'KIT and PDGFRA tested, no variant present (2025-01-20, 2025-01-22)', date: '2025-01-22', sourceRef: 'Observation/p' });
  });

  it('counts region-studied results as tested', () => {
    const g = genotype([regionStudied(['KIT', 'PDGFRA'])]);
    expect(g).toMatchObject({ mutationTested: true, kitTested: true, pdgfraTested: true });
    expect(g.wildType).toBeDefined();
  });

  it('is not wild-type when only one gene was tested or a variant is present', () => {
    expect(genotype([variantObservation({ gene: 'KIT', value: 'absent' })]).wildType).toBeUndefined();
    expect(genotype([regionStudied(['KIT', 'PDGFRA']), variantObservation({ gene: 'KIT', exon: '11' })]).wildType).toBeUndefined();
  });

  it('does not count a benign variant as a variant present', () => {
    const benign = variantObservation({ gene: 'KIT', pHgvs: 'p.M541L' });
    benign.component?.push({ code: { coding: [{ system: SYSTEMS.loinc, code: '53037-8' }] }, valueCodeableConcept: { coding: [{ system: SYSTEMS.loinc, code: 'LA6675-8', display: 'Benign' }] } });
    const g = genotype([benign, variantObservation({ gene: 'PDGFRA', value: 'absent' })]);
    expect(g.kitVariantPresent).toBe(false);
    expect(g.wildType).toBeDefined();
  });

  it('counts the legacy KIT mutation analysis (55201-8) as KIT tested, positive as a KIT variant', () => {
    expect(genotype([legacyKitTest('negative')])).toMatchObject({ mutationTested: true, kitTested: true, kitVariantPresent: false, pdgfraTested: false });
    expect(genotype([legacyKitTest('positive')])).toMatchObject({ kitTested: true, kitVariantPresent: true });
    expect(genotype([legacyKitTest({ text: 'No mutation detected in exons 9, 11, 13, 17' })])).toMatchObject({ kitTested: true, kitVariantPresent: false });
    expect(genotype([legacyKitTest('negative', { status: 'preliminary' })]).mutationTested).toBe(false);
  });

  it('does not call wild-type when a result cannot be read', () => {
    const g = genotype([legacyKitTest({ text: 'see scanned report' }), variantObservation({ gene: 'PDGFRA', value: 'absent' })]);
    expect(g.kitTested).toBe(true);
    expect(g.wildType).toBeUndefined();
  });

  it('is not tested for other genes only', () => {
    expect(genotype([variantObservation({ gene: 'BRAF', value: 'absent' }), regionStudied(['EGFR'])])).toMatchObject({ mutationTested: false });
  });
});

describe('SDH-deficient / NF1-associated', () => {
  it.each(['SDHA', 'SDHB', 'SDHC', 'SDHD', 'NF1'])('is documented by a %s variant present', (gene) => {
    const g = genotype([variantObservation({ id: 'x', gene, cHgvs: 'c.1A>G' })]);
    expect(g.sdhOrNf1).toEqual({ description: `${gene} variant present c.1A>G reported 2025-01-20`, date: '2025-01-20', sourceRef: 'Observation/x' });
  });

  it('is documented by an NF1 Condition (SNOMED 92824003 or ICD-10-CM Q85.01)', () => {
    expect(genotype([condition({ id: 'nf', snomed: '92824003' })]).sdhOrNf1).toMatchObject({ sourceRef: 'Condition/nf' });
    expect(genotype([condition({ icd10: 'Q85.01' })]).sdhOrNf1).toBeDefined();
  });

  it('is not documented by an absent SDHB variant, an SDHB display on another code, or a refuted NF1', () => {
    expect(genotype([variantObservation({ gene: 'SDHB', value: 'absent' })]).sdhOrNf1).toBeUndefined();
    expect(genotype([variantObservation({ geneCoding: { system: SYSTEMS.hgnc, code: 'HGNC:1', display: 'SDHB' } })]).sdhOrNf1).toBeUndefined();
    expect(genotype([condition({ snomed: '92824003', verificationStatus: 'refuted' })]).sdhOrNf1).toBeUndefined();
    expect(GENE_HGNC.SDHB).toBe('HGNC:10681');
  });
});

describe('public fixtures', () => {
  it('mCODE pertinent negative: HGNC:6342 (displayed "NRAS" upstream) is KIT, tested and absent', () => {
    const g = genotype([fixture('mcode/Observation-gx-genomic-variant-pertinent-negative-nras-kit-braf.json')]);
    expect(g).toMatchObject({ mutationTested: true, kitTested: true, kitVariantPresent: false, pdgfraTested: false });
    expect(g.kitExon9).toBeUndefined();
    expect(g.wildType).toBeUndefined();
  });

  it('FHIR core Bundle-report: the 55201-8 Negative result means KIT was tested', () => {
    const g = genotype(unpack(fixture('fhir-r4-core/Bundle-report.json')));
    expect(g).toMatchObject({ mutationTested: true, kitTested: true, kitVariantPresent: false });
  });

  it('FHIR core example-genetics-1: EGFR exon 21 from the extension is not KIT', () => {
    const obs = fixture('fhir-r4-core/Observation-example-genetics-1.json') as Observation;
    expect(genotype([obs])).toMatchObject({ mutationTested: false, kitTested: false, kitVariantPresent: false });
    // The same shape on KIT exon 9 (gene and region from the R4 extensions) would count.
    const kit: Observation = JSON.parse(JSON.stringify(obs));
    kit.extension = [
      { url: 'http://hl7.org/fhir/StructureDefinition/observation-geneticsGene', valueCodeableConcept: { coding: [{ system: SYSTEMS.hgnc, code: '6342', display: 'KIT' }] } },
      { url: 'http://hl7.org/fhir/StructureDefinition/observation-geneticsDNARegionName', valueString: 'Exon 9' },
    ];
    expect(genotype([kit]).kitExon9).toBeDefined();
  });

  it('parses every genomics example without throwing and finds no KIT/PDGFRA result in them', () => {
    const files = [
      'genomics-reporting/Observation-ATR-insertion-var.json',
      'genomics-reporting/Observation-EGFR-L858R-var.json',
      'genomics-reporting/Observation-ExampleSomaticDEL.json',
      'genomics-reporting/Observation-TherapeuticImplicationExample1.json',
      'mcode/Observation-genomic-variant-jenny-m.json',
      'mcode/Observation-genomic-variant-somatic-single-nucleotide.json',
      'mcode/Observation-genomic-region-studied-jenny-m.json',
      'mcode/Observation-genomic-region-studied-stk11.json',
      'mcode/DiagnosticReport-gx-genomics-report-adam-anyperson.json',
    ];
    const g = genotype(files.map(fixture));
    expect(g).toMatchObject({ mutationTested: false, kitTested: false, pdgfraTested: false });
    expect(g.sdhOrNf1).toBeUndefined();
  });
});
