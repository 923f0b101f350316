/**
 * Regenerates scripts/demo-patients/*.json (the sample patients `npm run demo` sends) from the test builders:
 *   node --import tsx scripts/make-demo-patients.ts
 * Each file is a CDS Hooks order-sign request without hookInstance (the demo adds it and a signed JWT).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FhirResource, MedicationRequest } from 'fhir/r4';
import { fullPrefetch, orderSignRequest } from '../test/helpers/requests';
import {
  LOINC,
  PATIENT_ID,
  daysAgo,
  diseaseStatus,
  gistCondition,
  imatinibOrder,
  imatinibRecord,
  lab,
  medicationRequest,
  metastasisCondition,
  pregnancyStatus,
  regionStudied,
  variantObservation,
} from '../test/helpers/fhir-builders';

const today = new Date();
const ago = (n: number) => daysAgo(n, today);
const patient = (name: string): FhirResource => ({ resourceType: 'Patient', id: PATIENT_ID, name: [{ text: name }], gender: 'female', birthDate: '1961-04-02' });
const normalLabs = () => [
  lab(LOINC.anc, 3.1, '10*9/L', ago(4)),
  lab(LOINC.platelets, 230, '10*3/uL', ago(4)),
  lab(LOINC.bilirubin, 0.7, 'mg/dL', ago(4), 1.2),
  lab(LOINC.alt, 25, 'U/L', ago(4), 40),
  lab(LOINC.ast, 27, 'U/L', ago(4), 40),
  lab(LOINC.crclCockcroftGault, 88, 'mL/min', ago(4)),
];
const order = (o: Parameters<typeof imatinibOrder>[0]): MedicationRequest => ({ ...imatinibOrder(o), authoredOn: today.toISOString().slice(0, 10) });

const patients: { file: string; title: string; resources: FhirResource[]; orders: MedicationRequest[] }[] = [
  {
    file: '01-kit-exon9-metastatic.json',
    title: 'Metastatic GIST with a KIT exon 9 duplication, imatinib 400 mg once daily ordered',
    resources: [patient('Demo Patient One'), gistCondition(), metastasisCondition(), regionStudied(['KIT', 'PDGFRA']), variantObservation({ gene: 'KIT', exon: '9', cHgvs: 'NM_000222.3:c.1504_1509dup', pHgvs: 'p.(Ala502_Tyr503dup)' }), ...normalLabs()],
    orders: [order({ id: 'demo-order-1', tablets: 1, frequency: 1 })],
  },
  {
    file: '02-progression-on-400.json',
    title: 'Progression on imatinib 400 mg/day, on warfarin, new order at 400 mg once daily',
    resources: [
      patient('Demo Patient Two'),
      gistCondition(),
      metastasisCondition(),
      regionStudied(['KIT', 'PDGFRA']),
      variantObservation({ gene: 'KIT', exon: '11', pHgvs: 'p.Trp557_Lys558del' }),
      imatinibRecord({ status: 'active', start: ago(420), tablets: 1, frequency: 1 }),
      diseaseStatus('worsened', ago(12)),
      medicationRequest({ rxnorm: '11289', display: 'warfarin sodium 5 MG Oral Tablet', status: 'active' }),
      ...normalLabs(),
    ],
    orders: [order({ id: 'demo-order-2', tablets: 1, frequency: 1 })],
  },
  {
    file: '03-pregnant-neutropenic-untested.json',
    title: 'No mutation test on file, pregnant, ANC 0.8, on rifampin; imatinib 800 mg once daily ordered',
    resources: [
      patient('Demo Patient Three'),
      gistCondition(),
      pregnancyStatus(true, ago(9)),
      lab(LOINC.anc, 0.8, '10*9/L', ago(2)),
      lab(LOINC.platelets, 160, '10*9/L', ago(2)),
      lab(LOINC.crclCockcroftGault, 95, 'mL/min', ago(2)),
      medicationRequest({ rxnorm: '9384', display: 'rifampin 300 MG Oral Capsule', status: 'active' }),
    ],
    orders: [order({ id: 'demo-order-3', tablets: 2, frequency: 1 })],
  },
  {
    file: '04-pdgfra-d842v.json',
    title: 'PDGFRA D842V GIST, imatinib 400 mg once daily ordered',
    resources: [patient('Demo Patient Four'), gistCondition(), metastasisCondition(), regionStudied(['KIT', 'PDGFRA']), variantObservation({ gene: 'PDGFRA', exon: '18', pHgvs: 'p.Asp842Val', cHgvs: 'NM_006206.6:c.2525A>T' }), ...normalLabs()],
    orders: [order({ id: 'demo-order-4', tablets: 1, frequency: 1 })],
  },
];

const dir = path.resolve(__dirname, 'demo-patients');
for (const p of patients) {
  const body = orderSignRequest({ orders: p.orders, prefetch: fullPrefetch(p.resources) });
  delete body.hookInstance;
  fs.writeFileSync(path.join(dir, p.file), `${JSON.stringify({ title: p.title, generatedOn: today.toISOString().slice(0, 10), ...body }, null, 1)}\n`);
}
console.log(`wrote ${patients.length} demo patients to ${dir}`);
