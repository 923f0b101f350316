/**
 * Which draft orders are imatinib orders under evaluation (docs/clinical-rules.md §1), and their daily doses
 * (§3). selectImatinibOrders is the cheap first step of every call: it looks only at the draft Bundle (and any
 * Medication resources passed in), so a request without an imatinib order costs almost nothing.
 */
import type { Bundle, BundleEntry, FhirResource, Medication, MedicationRequest } from 'fhir/r4';
import { dailyDose } from './dose';
import {
  imatinibConcept,
  indexMedications,
  isImatinibMedication,
  medicationLabel,
  productStrength,
  relativeReference,
  resolveMedication,
  unresolvedMedicationReference,
  type MedicationLookup,
} from './medication';
import { asArray, asString } from './shape';
import type { ImatinibOrder } from './types';

export { isImatinibMedication, isImatinibRecord } from './medication';

/** Orders in these states are not going to be given (docs/clinical-rules.md §1). */
const IGNORED_STATUSES: ReadonlySet<string> = new Set(['stopped', 'entered-in-error', 'completed', 'cancelled']);

export interface OrderSelectionRequest {
  hook: 'order-select' | 'order-sign';
  draftOrders: Bundle;
  /** order-select: the orders the user selected, e.g. "MedicationRequest/103". */
  selections?: string[];
}

/** Every name by which a selection may refer to an entry: "Type/id", its fullUrl, the "Type/id" tail of the fullUrl. */
function entryNames(entry: BundleEntry): string[] {
  const names: string[] = [];
  const r = entry.resource;
  if (typeof r?.id === 'string') names.push(`${r.resourceType}/${r.id}`);
  if (typeof entry.fullUrl === 'string') {
    names.push(entry.fullUrl);
    const tail = relativeReference(entry.fullUrl);
    if (tail) names.push(tail);
  }
  return names;
}

function selectionNames(selections: string[]): Set<string> {
  const set = new Set<string>();
  for (const s of selections) {
    if (typeof s !== 'string') continue;
    set.add(s.trim());
    const tail = relativeReference(s);
    if (tail) set.add(tail);
  }
  return set;
}

interface OrderEntry {
  entry: BundleEntry;
  resource: MedicationRequest;
}

function orderEntries(bundle: Bundle | undefined): OrderEntry[] {
  const out: OrderEntry[] = [];
  for (const entry of asArray(bundle?.entry)) {
    const r = entry.resource;
    if (r?.resourceType === 'MedicationRequest') out.push({ entry, resource: r as MedicationRequest });
  }
  return out;
}

/** What a Medication read gave (the data layer's answer to GET Medication/{id}). */
export type MedicationReadOutcome = { status: 'found'; medication: Medication } | { status: 'not-found' } | { status: 'failed'; reason: string };

/** A live candidate order whose medicationReference nothing in the request resolves: it must be read before deciding. */
export interface UnresolvedOrder {
  order: MedicationRequest;
  /** The reference as written (what the data layer reads). */
  reference: string;
  /** The reference's display, when the client sent one. */
  display?: string;
}

export interface OrderSelection {
  /** Imatinib orders recognised from the request alone. */
  imatinib: MedicationRequest[];
  unresolved: UnresolvedOrder[];
}

/**
 * The orders under evaluation (docs/clinical-rules.md §1): order-select only the selected ones, order-sign all;
 * live statuses only; imatinib by code, by a contained or known Medication, or by name. Orders whose
 * Medication nothing in the request resolves come back as `unresolved`, to be read from the FHIR server.
 */
export function selectImatinibOrders(req: OrderSelectionRequest, medications: Iterable<Medication | FhirResource> | (() => Iterable<Medication | FhirResource>) = []): OrderSelection {
  const entries = orderEntries(req.draftOrders);
  if (entries.length === 0) return { imatinib: [], unresolved: [] };
  let candidates = entries;
  if (req.hook === 'order-select') {
    const wanted = selectionNames(req.selections ?? []);
    candidates = entries.filter((e) => entryNames(e.entry).some((n) => wanted.has(n)));
  }
  const live = candidates.filter((e) => !IGNORED_STATUSES.has(e.resource.status));
  if (live.length === 0) return { imatinib: [], unresolved: [] };
  // The draft Bundle first; other Medications (the prefetch) only when a reference needs them.
  const lazy = typeof medications === 'function';
  let lookup = indexMedications(req.draftOrders, lazy ? [] : medications);
  let widened = !lazy;
  const selection: OrderSelection = { imatinib: [], unresolved: [] };
  for (const { resource } of live) {
    let reference = unresolvedMedicationReference(resource, lookup);
    if (reference !== undefined && !widened) {
      lookup = indexMedications(req.draftOrders, (medications as () => Iterable<Medication | FhirResource>)());
      widened = true;
      reference = unresolvedMedicationReference(resource, lookup);
    }
    if (reference !== undefined) {
      const display = asString(resource.medicationReference?.display)?.trim();
      selection.unresolved.push({ order: resource, reference, ...(display ? { display } : {}) });
    } else if (isImatinibMedication(resolveMedication(resource, lookup))) {
      selection.imatinib.push(resource);
    }
  }
  return selection;
}

export interface UnresolvedDecision {
  /** Orders recognised as imatinib from the read Medication, or by the reference's display. */
  imatinib: MedicationRequest[];
  /** Reads that failed for orders that only the Medication could identify (no display): nothing can be decided. */
  failed: Array<{ reference: string; reason: string }>;
}

/**
 * Decide the unresolved orders with what the reads gave: a read Medication decides by its codes; a Medication
 * the server does not have leaves the order known only by its display (no display: not evaluated); a failed
 * read is decided by the display when there is one, else it is a failure (the pipeline answers 412).
 */
export function decideUnresolved(unresolved: readonly UnresolvedOrder[], reads: ReadonlyMap<string, MedicationReadOutcome>): UnresolvedDecision {
  const decision: UnresolvedDecision = { imatinib: [], failed: [] };
  for (const u of unresolved) {
    const read = reads.get(u.reference) ?? { status: 'failed', reason: 'the Medication was not read' };
    if (read.status === 'found') {
      if (isImatinibMedication({ ...(read.medication.code ? { concept: read.medication.code } : {}), medication: read.medication, via: 'medication' })) decision.imatinib.push(u.order);
    } else if (u.display !== undefined) {
      if (isImatinibMedication({ concept: { text: u.display }, via: 'display' })) decision.imatinib.push(u.order);
    } else if (read.status === 'failed') {
      decision.failed.push({ reference: u.reference, reason: read.reason });
    }
  }
  return decision;
}

/** "MedicationRequest/<id>" (orders without an id get their position, so each still has a stable name). */
function orderReference(order: MedicationRequest, index: number): string {
  return `MedicationRequest/${typeof order.id === 'string' ? order.id : `#${index + 1}`}`;
}

/** Each order with its medication label, product and §3 daily dose. */
export function buildImatinibOrders(orders: MedicationRequest[], lookup: MedicationLookup): ImatinibOrder[] {
  return orders.map((resource, i) => {
    const resolved = resolveMedication(resource, lookup);
    const product = imatinibConcept(resolved);
    return {
      resource,
      reference: orderReference(resource, i),
      medicationLabel: medicationLabel(resolved),
      ...(product ? { product } : {}),
      dose: dailyDose(resource.dosageInstruction, productStrength(resolved)),
    };
  });
}
