/**
 * Which draft orders are imatinib orders under evaluation (RULES.md §1), and their daily doses (§3).
 * selectImatinibOrders is the cheap first step of every call: it looks only at the draft Bundle (and any
 * Medication resources passed in), so a request without an imatinib order costs almost nothing.
 */
import type { Bundle, BundleEntry, FhirResource, MedicationRequest } from 'fhir/r4';
import { dailyDose } from './dose';
import {
  indexMedications,
  isImatinibMedication,
  medicationLabel,
  productStrength,
  relativeReference,
  resolveMedication,
  type MedicationLookup,
} from './medication';
import { asArray } from './shape';
import type { ImatinibOrder } from './types';

export { isImatinibMedication, isImatinibRecord } from './medication';

/** Orders in these states are not going to be given (RULES.md §1). */
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

/** The imatinib MedicationRequests to evaluate: order-select only the selected ones, order-sign all; live statuses only. */
export function selectImatinibOrders(req: OrderSelectionRequest, extraResources: FhirResource[] = []): MedicationRequest[] {
  const entries = orderEntries(req.draftOrders);
  if (entries.length === 0) return [];
  let candidates = entries;
  if (req.hook === 'order-select') {
    const wanted = selectionNames(req.selections ?? []);
    candidates = entries.filter((e) => entryNames(e.entry).some((n) => wanted.has(n)));
  }
  const live = candidates.filter((e) => !IGNORED_STATUSES.has(e.resource.status));
  if (live.length === 0) return [];
  const lookup = indexMedications(req.draftOrders, extraResources);
  return live.filter((e) => isImatinibMedication(resolveMedication(e.resource, lookup))).map((e) => e.resource);
}

/** "MedicationRequest/<id>" (orders without an id get their position, so each still has a stable name). */
function orderReference(order: MedicationRequest, index: number): string {
  return `MedicationRequest/${typeof order.id === 'string' ? order.id : `#${index + 1}`}`;
}

/** Each order with its medication label and §3 daily dose. */
export function buildImatinibOrders(orders: MedicationRequest[], draftOrders: Bundle, extraResources: FhirResource[] = []): ImatinibOrder[] {
  const lookup: MedicationLookup = indexMedications(draftOrders, extraResources);
  return orders.map((resource, i) => {
    const resolved = resolveMedication(resource, lookup);
    return {
      resource,
      reference: orderReference(resource, i),
      medicationLabel: medicationLabel(resolved),
      dose: dailyDose(resource.dosageInstruction, productStrength(resolved)),
    };
  });
}
