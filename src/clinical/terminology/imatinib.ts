/**
 * RxNorm concepts for imatinib (docs/clinical-evidence.md §C, verified against the CIBMTR medication value set and openFDA
 * NDC records), with the strength of one tablet/capsule where the concept fixes it.
 */
export type DoseForm = 'tablet' | 'capsule';

export interface ImatinibConcept {
  rxcui: string;
  name: string;
  tty: 'IN' | 'BN' | 'SCD' | 'SBD' | 'SCDF' | 'SBDF' | 'SCDC' | 'SBDC' | 'grouper';
  /** mg of imatinib per tablet/capsule (SCD/SBD/SCDC/SBDC). */
  strengthMg?: number;
  form?: DoseForm;
}

const CONCEPTS: readonly ImatinibConcept[] = [
  { rxcui: '282388', name: 'imatinib', tty: 'IN' },
  { rxcui: '282386', name: 'Gleevec', tty: 'BN' },
  { rxcui: '403878', name: 'imatinib 100 MG Oral Tablet', tty: 'SCD', strengthMg: 100, form: 'tablet' },
  { rxcui: '403879', name: 'imatinib 400 MG Oral Tablet', tty: 'SCD', strengthMg: 400, form: 'tablet' },
  { rxcui: '404588', name: 'imatinib 100 MG Oral Tablet [Gleevec]', tty: 'SBD', strengthMg: 100, form: 'tablet' },
  { rxcui: '404589', name: 'imatinib 400 MG Oral Tablet [Gleevec]', tty: 'SBD', strengthMg: 400, form: 'tablet' },
  { rxcui: '406050', name: 'imatinib Oral Tablet', tty: 'SCDF', form: 'tablet' },
  { rxcui: '406060', name: 'imatinib Oral Tablet [Gleevec]', tty: 'SBDF', form: 'tablet' },
  { rxcui: '331600', name: 'imatinib 100 MG', tty: 'SCDC', strengthMg: 100 },
  { rxcui: '406051', name: 'imatinib 400 MG', tty: 'SCDC', strengthMg: 400 },
  { rxcui: '440549', name: 'imatinib 50 MG', tty: 'SCDC', strengthMg: 50 },
  { rxcui: '575017', name: 'imatinib 100 MG [Gleevec]', tty: 'SBDC', strengthMg: 100 },
  { rxcui: '576514', name: 'imatinib 400 MG [Gleevec]', tty: 'SBDC', strengthMg: 400 },
  { rxcui: '284206', name: 'imatinib 100 MG Oral Capsule', tty: 'SCD', strengthMg: 100, form: 'capsule' },
  { rxcui: '483431', name: 'imatinib 400 MG Oral Capsule', tty: 'SCD', strengthMg: 400, form: 'capsule' },
  { rxcui: '411240', name: 'imatinib 50 MG Oral Capsule', tty: 'SCD', strengthMg: 50, form: 'capsule' },
  { rxcui: '376335', name: 'imatinib Oral Capsule', tty: 'SCDF', form: 'capsule' },
  { rxcui: '1160679', name: 'imatinib Oral Product', tty: 'grouper' },
  { rxcui: '1160680', name: 'imatinib Pill', tty: 'grouper' },
  { rxcui: '1171230', name: 'Gleevec Oral Product', tty: 'grouper' },
  { rxcui: '1171231', name: 'Gleevec Pill', tty: 'grouper' },
];

export const IMATINIB_BY_RXCUI: ReadonlyMap<string, ImatinibConcept> = new Map(CONCEPTS.map((c) => [c.rxcui, c]));

/** Text recognises imatinib only when the medication carries no RxNorm code at all (docs/clinical-rules.md §1). */
export const IMATINIB_NAME = /\b(imatinib|gleevec|glivec)\b/i;
