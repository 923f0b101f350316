/** The two indications for 800 mg/day (Gronchi 2010), shared by the dose rules. */
import type { PatientFacts } from '../types';
import { evidenceFact } from './format';
import type { TriggerFact } from './types';

export interface HighDoseIndication {
  /** "advanced GIST with KIT exon 9" or "advanced GIST that progressed on imatinib". */
  reason: string;
  facts: TriggerFact[];
}

/**
 * Advanced GIST with KIT exon 9, or advanced GIST with progression on imatinib (no time window). An untested
 * genotype is no indication; neither is a setting not established as advanced.
 */
export function highDoseIndication(facts: PatientFacts): HighDoseIndication | undefined {
  if (!facts.advanced) return undefined;
  const advanced = evidenceFact(facts.advanced, 'Advanced disease');
  if (facts.genotype.kitExon9) {
    return { reason: 'advanced GIST with a KIT exon 9 mutation', facts: [evidenceFact(facts.genotype.kitExon9, 'KIT exon 9 mutation'), advanced] };
  }
  if (facts.progressionOnImatinib) {
    return { reason: 'advanced GIST that progressed on imatinib', facts: [evidenceFact(facts.progressionOnImatinib, 'Progression on imatinib'), advanced] };
  }
  return undefined;
}
