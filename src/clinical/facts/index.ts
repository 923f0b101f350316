/**
 * PatientFacts from the patient's FHIR resources (RULES.md §2): one indexing pass, then each fact from the
 * index. Pure and synchronous; absent data gives an absent fact, never a guess.
 */
import type { FhirResource } from 'fhir/r4';
import type { ClinicalConfig } from '../../config';
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
  /** "MedicationRequest/<id>" of the orders under evaluation: not part of the patient's history. */
  excludeOrderRefs: string[];
}

export function deriveFacts(resources: readonly FhirResource[], opts: DeriveFactsOptions): PatientFacts {
  const idx = indexResources(resources);
  const lookup = idx.medications;
  const gist = deriveGist(idx);
  const imatinib = deriveImatinibHistory(idx, lookup, new Set(opts.excludeOrderRefs));
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
