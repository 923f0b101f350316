/**
 * Reusable CDS Hooks 2.0.1 response assertions (docs/cds-hooks-checklist.md Part A0/A4/A8), for unit and HTTP tests:
 *
 *   assertNoEmptyValues(body);                 // no null, "", [] or {} anywhere, except "cards": []
 *   assertValidCard(card, draftOrders);        // one card, its suggestions and actions
 *   assertValidCdsResponse(body, draftOrders); // both, for every card, plus unique uuids
 */
import type { Bundle, FhirResource, MedicationRequest } from 'fhir/r4';
import type { Action, Card } from '../../src/protocol/cards';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ABSOLUTE_URL = /^https?:\/\/[^\s/]+\.[^\s]+$/;

/**
 * Fails on null, "", [] or {} at any depth (J-0.2). `allowEmptyArrays` lists JSON paths where [] is allowed;
 * the default allows the top-level "cards" (the one exception the spec makes).
 */
export function assertNoEmptyValues(json: unknown, allowEmptyArrays: string[] = ['$.cards']): void {
  const problems: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (value === null) problems.push(`${path} is null`);
    else if (value === '') problems.push(`${path} is ""`);
    else if (Array.isArray(value)) {
      if (value.length === 0 && !allowEmptyArrays.includes(path)) problems.push(`${path} is []`);
      value.forEach((v, i) => walk(v, `${path}[${i}]`));
    } else if (typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) problems.push(`${path} is {}`);
      for (const [k, v] of entries) {
        if (v === undefined) problems.push(`${path}.${k} is undefined (it would be dropped; omit it instead)`);
        else walk(v, `${path}.${k}`);
      }
    }
  };
  walk(json, '$');
  expect(problems).toEqual([]);
}

function draftEntries(draftOrders: Bundle | undefined): FhirResource[] {
  return (draftOrders?.entry ?? []).flatMap((e) => (e.resource ? [e.resource as FhirResource] : []));
}

function findDraft(draftOrders: Bundle | undefined, resourceType: string, id: string | undefined): FhirResource | undefined {
  return draftEntries(draftOrders).find((r) => r.resourceType === resourceType && r.id === id);
}

/** 100 mg imatinib products and the 400 mg tablet an 800 mg/day update may switch them to (docs/clinical-rules.md §4, 1.1). */
const TABLET_SWITCH: Record<string, string> = { '403878': '403879', '404588': '404589' };

function rxnormOf(mr: MedicationRequest): string | undefined {
  return mr.medicationCodeableConcept?.coding?.find((c) => c.system === 'http://www.nlm.nih.gov/research/umls/rxnorm')?.code;
}

/**
 * An update must carry the whole draft resource: same identity and clinical fields, only dosageInstruction
 * changed, except that an 800 mg/day update of a 100 mg product switches the medication to the 400 mg tablet.
 */
function assertWholeResourceUpdate(action: Action, draftOrders: Bundle | undefined): void {
  const resource = action.resource as MedicationRequest | undefined;
  expect(resource).toBeDefined();
  if (!resource) return;
  const original = findDraft(draftOrders, resource.resourceType, resource.id) as MedicationRequest | undefined;
  expect(original).toBeDefined(); // the resource being updated must come from draftOrders
  if (!original) return;
  expect(resource.status).toBe(original.status);
  expect(resource.intent).toBe(original.intent);
  expect(resource.subject).toEqual(original.subject);
  const updatedCode = rxnormOf(resource);
  const switched = updatedCode !== undefined && Object.values(TABLET_SWITCH).includes(updatedCode) && updatedCode !== rxnormOf(original);
  if (switched) {
    // Only from the matching 100 mg product, and only for 400 mg twice daily.
    const from = Object.entries(TABLET_SWITCH).find(([, to]) => to === updatedCode)?.[0];
    expect(rxnormOf(original) ?? 'referenced').toBe(original.medicationReference ? 'referenced' : from);
    expect(resource.dosageInstruction?.[0]?.doseAndRate?.[0]?.doseQuantity?.value).toBe(400);
    expect(resource.dosageInstruction?.[0]?.timing?.repeat?.frequency).toBe(2);
  } else {
    expect(resource.medicationCodeableConcept).toEqual(original.medicationCodeableConcept);
    expect(resource.medicationReference).toEqual(original.medicationReference);
  }
  const { dosageInstruction: newDosage, medicationCodeableConcept: _m1, medicationReference: _r1, contained: _c1, ...rest } = resource;
  const { dosageInstruction: _oldDosage, medicationCodeableConcept: _m2, medicationReference: _r2, contained: _c2, ...originalRest } = original;
  // Everything else is the client's draft as sent, less any null/empty values (CDS Hooks forbids them in responses).
  expect(rest).toEqual(withoutEmpty(originalRest));
  expect(newDosage?.length).toBeGreaterThan(0);
}

/** The value with null, "", [] and {} removed at every depth (what the service may drop from an echoed draft). */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) {
    const kept = value.map(withoutEmpty).filter((v) => v !== undefined);
    return kept.length ? kept : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const kept = Object.entries(value).map(([k, v]) => [k, withoutEmpty(v)] as const).filter(([, v]) => v !== undefined);
    return kept.length ? Object.fromEntries(kept) : undefined;
  }
  return value === null || value === '' ? undefined : value;
}

function assertAction(action: Action, draftOrders: Bundle | undefined): void {
  expect(['create', 'update', 'delete']).toContain(action.type);
  expect(typeof action.description).toBe('string');
  expect(action.description.length).toBeGreaterThan(0);
  if (action.type === 'update') assertWholeResourceUpdate(action, draftOrders);
  if (action.type === 'create') expect(action.resource?.resourceType).toBeDefined();
  if (action.type === 'delete') {
    expect(action.resourceId).toMatch(/^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/);
    const [type, id] = (action.resourceId ?? '').split('/');
    expect(findDraft(draftOrders, type ?? '', id)).toBeDefined();
  }
}

/** One card against CHECKLIST A4 (C3-C8) and A8 (U1); `draftOrders` is where update targets must come from. */
export function assertValidCard(card: Card, draftOrders?: Bundle): void {
  assertNoEmptyValues(card, []);
  expect(card.uuid).toMatch(UUID);
  expect(typeof card.summary).toBe('string');
  expect(card.summary.length).toBeGreaterThan(0);
  expect(card.summary.length).toBeLessThan(140);
  expect(['info', 'warning', 'critical']).toContain(card.indicator);
  expect(card.source.label.length).toBeGreaterThan(0);
  if (card.source.topic) {
    expect(card.source.topic.system).toMatch(ABSOLUTE_URL);
    expect(card.source.topic.code.length).toBeGreaterThan(0);
  }
  if (card.detail !== undefined) expect(typeof card.detail).toBe('string');
  for (const link of card.links ?? []) {
    expect(link.label.length).toBeGreaterThan(0);
    expect(['absolute', 'smart']).toContain(link.type);
    if (link.type === 'absolute') {
      expect(link.url).toMatch(ABSOLUTE_URL);
      expect(link.appContext).toBeUndefined();
    }
  }
  for (const reason of card.overrideReasons ?? []) {
    expect(reason.system.length).toBeGreaterThan(0);
    expect(reason.code.length).toBeGreaterThan(0);
    expect(reason.display?.length).toBeGreaterThan(0);
  }
  if (card.suggestions) {
    expect(['at-most-one', 'any']).toContain(card.selectionBehavior);
    if (card.selectionBehavior === 'at-most-one') expect(card.suggestions.filter((s) => s.isRecommended).length).toBeLessThanOrEqual(1);
    for (const s of card.suggestions) {
      expect(s.label.length).toBeGreaterThan(0);
      expect(s.uuid).toMatch(UUID);
      expect(s.actions?.length).toBeGreaterThan(0);
      for (const a of s.actions ?? []) assertAction(a, draftOrders);
    }
  } else {
    expect(card.selectionBehavior).toBeUndefined();
  }
}

/** A whole response: {"cards": [...]}, no empty values, every card valid, card and suggestion uuids unique. */
export function assertValidCdsResponse(body: unknown, draftOrders?: Bundle): void {
  expect(body).toEqual(expect.objectContaining({ cards: expect.any(Array) }));
  assertNoEmptyValues(body);
  const cards = (body as { cards: Card[] }).cards;
  for (const card of cards) assertValidCard(card, draftOrders);
  const uuids = cards.flatMap((c) => [c.uuid, ...(c.suggestions ?? []).map((s) => s.uuid)]);
  expect(new Set(uuids).size).toBe(uuids.length);
}
