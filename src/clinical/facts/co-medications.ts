/**
 * Active interacting co-medications (docs/clinical-rules.md §2): active MedicationRequest/MedicationStatement only,
 * matched by RxNorm ingredient code, else by name (product display/text; products rarely carry the
 * ingredient code). A stopped or completed record never counts.
 */
import type { MedicationRequest, MedicationStatement } from 'fhir/r4';
import { resolveMedication, type MedicationLookup, type ResolvedMedication } from '../medication';
import { interactingDrugByRxcui, interactingDrugsInText, type InteractingDrug } from '../terminology/interacting-drugs';
import { asArray } from '../shape';
import { RXNORM, codesOf, textsOf } from '../terminology/systems';
import type { DrugEvidence, PatientFacts } from '../types';
import { ref } from './common';
import type { ResourceIndex } from './resource-index';

type CoMedications = PatientFacts['coMedications'];

function rxnormCodes(m: ResolvedMedication): string[] {
  const codes = codesOf(m.concept, RXNORM);
  for (const ing of asArray(m.medication?.ingredient)) codes.push(...codesOf(ing.itemCodeableConcept, RXNORM));
  return codes;
}

function texts(m: ResolvedMedication): string[] {
  const out = textsOf(m.concept);
  for (const ing of asArray(m.medication?.ingredient)) out.push(...textsOf(ing.itemCodeableConcept));
  return out;
}

function matches(m: ResolvedMedication): Array<{ drug: InteractingDrug; matchedBy: DrugEvidence['matchedBy'] }> {
  const found = new Map<InteractingDrug, DrugEvidence['matchedBy']>();
  for (const code of rxnormCodes(m)) {
    const drug = interactingDrugByRxcui(code);
    if (drug) found.set(drug, 'rxnorm');
  }
  for (const t of texts(m)) for (const drug of interactingDrugsInText(t)) if (!found.has(drug)) found.set(drug, 'name');
  return [...found].map(([drug, matchedBy]) => ({ drug, matchedBy }));
}

export function deriveCoMedications(idx: ResourceIndex, lookup: MedicationLookup): CoMedications {
  const out: CoMedications = { cyp3a4Inducers: [], cyp3a4Inhibitors: [], warfarin: [] };
  const seen = new Set<string>();
  const consider = (r: MedicationRequest | MedicationStatement): void => {
    if (r.status !== 'active') return;
    for (const { drug, matchedBy } of matches(resolveMedication(r, lookup))) {
      if (seen.has(drug.name)) continue; // one entry per drug, the first active record naming it
      seen.add(drug.name);
      const evidence: DrugEvidence = { name: drug.name, matchedBy, sourceRef: ref(r), ...(drug.exposureCutPercent ? { exposureCutPercent: drug.exposureCutPercent } : {}) };
      if (drug.interaction === 'cyp3a4Inducer') out.cyp3a4Inducers.push(evidence);
      else if (drug.interaction === 'cyp3a4Inhibitor') out.cyp3a4Inhibitors.push(evidence);
      else out.warfarin.push(evidence);
    }
  };
  idx.medicationRequests.forEach(consider);
  idx.medicationStatements.forEach(consider);
  return out;
}
