/**
 * PatientFacts from the patient's FHIR resources (docs/clinical-rules.md §2): one indexing pass, then each
 * fact from the index. Pure and synchronous; absent data gives an absent fact, never a guess. What missing
 * prefetch keys may have held is not decided here: the rules ask the DataGaps.
 */
import type { FhirResource, MedicationRequest } from 'fhir/r4';
import type { ClinicalConfig } from '../../config';
import type { DataGaps } from '../gaps';
import type { MedicationLookup } from '../medication';
import type { PatientFacts } from '../types';
import { deriveCoMedications } from './co-medications';
import { deriveAdvanced, deriveGist, deriveSevereHepaticImpairment } from './diagnosis';
import { deriveProgression } from './disease-status';
import { deriveGenotype } from './genotype';
import { deriveImatinibHistory } from './imatinib-history';
import { deriveLabs } from './labs';
import { derivePregnancy } from './pregnancy';
import { indexResources } from './resource-index';

export interface DeriveFactsOptions {
  /** Evaluation time. */
  now: Date;
  cfg: ClinicalConfig;
  /** Medications by reference: draft Bundle, prefetch, fetched and read Medications. */
  medications: MedicationLookup;
  /** The orders under evaluation: not part of the patient's history (a revised one means imatinib is taken). */
  evaluated: ReadonlyArray<{ reference: string; resource: MedicationRequest }>;
  gaps: DataGaps;
}

export function deriveFacts(resources: readonly FhirResource[], opts: DeriveFactsOptions): PatientFacts {
  const idx = indexResources(resources);
  const lookup = opts.medications;
  const gist = deriveGist(idx);
  const imatinib = deriveImatinibHistory(idx, lookup, { evaluated: opts.evaluated, gaps: opts.gaps });
  const progression = deriveProgression(idx, imatinib.start?.date, opts.now, opts.cfg.progressionWindowDays);

  const facts: PatientFacts = {
    genotype: deriveGenotype(idx),
    imatinib,
    labs: deriveLabs(idx, opts.now, opts.cfg.labLookbackDays),
    coMedications: deriveCoMedications(idx, lookup),
  };
  if (gist.evidence) facts.gist = gist.evidence;
  const advanced = deriveAdvanced(idx, gist);
  if (advanced) facts.advanced = advanced;
  if (progression.latestDiseaseStatus) facts.latestDiseaseStatus = progression.latestDiseaseStatus;
  if (progression.progressionOnImatinib) facts.progressionOnImatinib = progression.progressionOnImatinib;
  if (progression.currentProgression) facts.currentProgression = progression.currentProgression;
  const pregnancy = derivePregnancy(idx, opts.now, opts.cfg);
  if (pregnancy) facts.pregnancy = pregnancy;
  const hepatic = deriveSevereHepaticImpairment(idx);
  if (hepatic) facts.severeHepaticImpairment = hepatic;
  return facts;
}
