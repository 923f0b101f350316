/**
 * What a MedicationRequest/MedicationStatement is a request for: its medicationCodeableConcept, or the
 * Medication it references (contained "#id", in the draft Bundle, or among other resources), plus the
 * imatinib recognition of docs/clinical-rules.md §1 and the product strength needed by the dose computation.
 */
import type { Bundle, CodeableConcept, Coding, FhirResource, Medication, MedicationRequest, MedicationStatement, Quantity } from 'fhir/r4';
import type { ProductStrength } from './dose';
import { IMATINIB_BY_RXCUI, IMATINIB_NAME, type ImatinibConcept } from './terminology/imatinib';
import { asArray, asString, own } from './shape';
import { RXNORM, UCUM, canonicalSystem, codingsOf, isSystem, textsOf } from './terminology/systems';

export type MedicationRecord = MedicationRequest | MedicationStatement;

/** Medications by every name a reference may use: "Medication/id", fullUrl, absolute URL. */
export type MedicationLookup = ReadonlyMap<string, Medication>;

/** "Medication/abc" from "Medication/abc", "https://x/fhir/Medication/abc/_history/2" etc.; undefined otherwise. */
export function relativeReference(reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined;
  const m = RELATIVE_REFERENCE.exec(reference.trim());
  return m ? `${m[1]}/${m[2]}` : undefined;
}

const RELATIVE_REFERENCE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?\/?$/;

/** Build the lookup once per request from the draft Bundle and the Medications the data layer handed over. */
export function indexMedications(draftOrders: Bundle | undefined, extra: Iterable<Medication | FhirResource> = []): Map<string, Medication> {
  const map = new Map<string, Medication>();
  const add = (m: Medication, fullUrl?: string): void => {
    const id = asString(m.id);
    if (id) map.set(`Medication/${id}`, m);
    if (typeof fullUrl === 'string') map.set(fullUrl, m);
  };
  for (const entry of asArray(draftOrders?.entry)) {
    const r = entry.resource;
    if (r?.resourceType === 'Medication') add(r as Medication, entry.fullUrl);
  }
  for (const r of asArray<FhirResource>([...extra] as FhirResource[])) if (r.resourceType === 'Medication') add(r);
  return map;
}

export interface ResolvedMedication {
  /** medicationCodeableConcept of the record, Medication.code of the referenced Medication, or the reference's display as text. */
  concept?: CodeableConcept;
  medication?: Medication;
  /**
   * How the medication is known: its own concept, a contained or known Medication, only the reference's
   * display ("known by name"), or not at all (a reference nothing resolves and without a display).
   */
  via: 'concept' | 'medication' | 'display' | 'unidentified';
  /** The reference that no Medication resolved ("Medication/abc" or as written), for via display/unidentified. */
  unresolvedReference?: string;
}

/** The Medication a non-contained reference names in the lookup, by the reference as written or its "Medication/id". */
function lookupReference(reference: string, lookup: MedicationLookup): Medication | undefined {
  const relative = relativeReference(reference);
  return lookup.get(reference) ?? (relative ? lookup.get(relative) : undefined);
}

export function resolveMedication(record: MedicationRecord, lookup: MedicationLookup): ResolvedMedication {
  if (typeof record.medicationCodeableConcept === 'object' && record.medicationCodeableConcept !== null) return { concept: record.medicationCodeableConcept, via: 'concept' };
  const reference = asString(record.medicationReference?.reference)?.trim();
  let medication: Medication | undefined;
  if (reference?.startsWith('#')) {
    const id = reference.slice(1);
    medication = asArray(record.contained).find((c): c is Medication => c.resourceType === 'Medication' && c.id === id);
  } else if (reference) {
    medication = lookupReference(reference, lookup);
  }
  if (medication) return { ...(medication.code ? { concept: medication.code } : {}), medication, via: 'medication' };
  // An unresolved reference can still carry a display ("imatinib 400 mg tablet"): the medication is known by name.
  const display = asString(record.medicationReference?.display)?.trim();
  const unresolved = reference ? { unresolvedReference: relativeReference(reference) ?? reference } : {};
  if (display) return { concept: { text: display }, via: 'display', ...unresolved };
  return { via: 'unidentified', ...unresolved };
}

/**
 * The medicationReference of a record that neither its contained resources nor the lookup resolve, as
 * "Medication/<id>" (or as written when it is not a plain read): what the data layer may read from the server.
 */
export function unresolvedMedicationReference(record: MedicationRecord, lookup: MedicationLookup): string | undefined {
  if (typeof record.medicationCodeableConcept === 'object' && record.medicationCodeableConcept !== null) return undefined;
  const reference = asString(record.medicationReference?.reference)?.trim();
  if (!reference || reference.startsWith('#') || lookupReference(reference, lookup)) return undefined;
  return reference;
}

/** RxNorm codings of the medication: its code, then (for a Medication) its ingredients. */
function rxnormCodings(resolved: ResolvedMedication): Coding[] {
  const coded = codingsOf(resolved.concept).filter((c) => typeof c.code === 'string' && isSystem(c, RXNORM));
  if (coded.length > 0) return coded;
  const fromIngredients: Coding[] = [];
  for (const ing of asArray(resolved.medication?.ingredient)) {
    for (const c of codingsOf(ing.itemCodeableConcept)) if (typeof c.code === 'string' && isSystem(c, RXNORM)) fromIngredients.push(c);
  }
  return fromIngredients;
}

function allTexts(resolved: ResolvedMedication): string[] {
  const texts = textsOf(resolved.concept);
  for (const ing of asArray(resolved.medication?.ingredient)) texts.push(...textsOf(ing.itemCodeableConcept));
  return texts;
}

/**
 * docs/clinical-rules.md §1: an imatinib RxNorm code recognises imatinib; any other RxNorm code is decisive (not imatinib);
 * only when there is no RxNorm code at all does "imatinib"/"Gleevec"/"Glivec" in text or a display count.
 * dosageInstruction.text is never looked at.
 */
export function isImatinibMedication(resolved: ResolvedMedication): boolean {
  const rx = rxnormCodings(resolved);
  if (rx.length > 0) return rx.some((c) => IMATINIB_BY_RXCUI.has((c.code ?? '').trim()));
  return allTexts(resolved).some((t) => IMATINIB_NAME.test(t));
}

export function isImatinibRecord(record: MedicationRecord, lookup: MedicationLookup): boolean {
  return isImatinibMedication(resolveMedication(record, lookup));
}

/** The most specific imatinib RxNorm concept (one with a strength first). */
export function imatinibConcept(resolved: ResolvedMedication): ImatinibConcept | undefined {
  let best: ImatinibConcept | undefined;
  for (const c of rxnormCodings(resolved)) {
    const concept = IMATINIB_BY_RXCUI.get((c.code ?? '').trim());
    if (concept && (!best || (best.strengthMg === undefined && concept.strengthMg !== undefined))) best = concept;
  }
  return best;
}

const MASS_MG: Record<string, number> = { mg: 1, g: 1000, ug: 0.001, mcg: 0.001 };
const PER_UNIT = /^(\{?(tbl|tab|tablet|tablets|capsule|capsules|cap|pill|unit|each|ea)\}?|1|tablet\(s\)|capsule\(s\))$/i;
const PER_ML = /^ml$/i;

function unitKey(q: Quantity | undefined): string | undefined {
  if (!q) return undefined;
  const system = canonicalSystem(asString(q.system));
  const rawCode = asString(q.code);
  const code = rawCode && (system === undefined || system === UCUM || /orderableDrugForm/i.test(asString(q.system) ?? '')) ? rawCode : undefined;
  return (code ?? asString(q.unit))?.trim();
}

function formWord(key: string | undefined, fallback: string): string {
  if (!key) return fallback;
  if (/cap/i.test(key)) return 'capsule';
  if (/tab|tbl|pill/i.test(key)) return 'tablet';
  return fallback;
}

/** Imatinib strength from Medication.ingredient.strength (Ratio: mg per 1 tablet/capsule, or per mL). */
function ingredientStrength(medication: Medication | undefined, concept: ImatinibConcept | undefined): ProductStrength | undefined {
  const ingredients = asArray(medication?.ingredient);
  for (const ing of ingredients) {
    const isImatinib =
      ingredients.length === 1 ||
      codingsOf(ing.itemCodeableConcept).some((c) => typeof c.code === 'string' && isSystem(c, RXNORM) && IMATINIB_BY_RXCUI.has(c.code.trim())) ||
      textsOf(ing.itemCodeableConcept).some((t) => IMATINIB_NAME.test(t));
    const numerator = ing.strength?.numerator;
    if (!isImatinib || !numerator || typeof numerator.value !== 'number' || numerator.value <= 0) continue;
    const numKey = unitKey(numerator)?.toLowerCase();
    const factor = numKey ? own(MASS_MG, numKey) : undefined;
    if (factor === undefined) continue;
    const denominator = ing.strength?.denominator;
    const denValue = denominator?.value ?? 1;
    if (typeof denValue !== 'number' || !(denValue > 0)) continue;
    const denKey = unitKey(denominator);
    const mg = (numerator.value * factor) / denValue;
    const form = formWord(denKey, concept?.form ?? formWord(textsOf(medication?.form).join(' '), 'tablet'));
    if (denKey === undefined || PER_UNIT.test(denKey)) return { mg, per: 'unit', form, source: 'Medication.ingredient.strength' };
    if (PER_ML.test(denKey)) return { mg, per: 'mL', form: 'mL', source: 'Medication.ingredient.strength' };
  }
  return undefined;
}

/** Strength per tablet/capsule: from the RxNorm product code first, else Medication.ingredient.strength. */
export function productStrength(resolved: ResolvedMedication): ProductStrength | undefined {
  const concept = imatinibConcept(resolved);
  if (concept?.strengthMg !== undefined) {
    return { mg: concept.strengthMg, per: 'unit', form: concept.form ?? 'tablet', source: `RxNorm ${concept.rxcui}` };
  }
  return ingredientStrength(resolved.medication, concept);
}

/** Name for card text: the RxNorm name of the product, else the display or text the EHR sent. */
export function medicationLabel(resolved: ResolvedMedication): string {
  const concept = imatinibConcept(resolved);
  if (concept && concept.tty !== 'IN' && concept.tty !== 'BN') return concept.name;
  const texts = textsOf(resolved.concept);
  return texts[0]?.trim() || concept?.name || 'imatinib';
}
