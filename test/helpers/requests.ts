/**
 * CDS Hooks request builders for tests: order-sign / order-select bodies around given draft orders, and a
 * complete prefetch built from a patient's resources by matching them to the service's prefetch templates
 * (resource type, and for Observations the codes named in each template) exactly as a FHIR server would.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, FhirResource, MedicationRequest, Observation } from 'fhir/r4';

import { PATIENT_ID } from './fhir-builders';

export { PATIENT_ID };

interface ServiceFile {
  id: string;
  hook: string;
  prefetch: Record<string, string>;
}

export function serviceFile(id: string): ServiceFile {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../hooks', `${id}.json`), 'utf8')) as ServiceFile;
}

interface KeyMatcher {
  key: string;
  resourceType: string;
  read: boolean;
  codes?: Set<string>;
}

function matchers(templates: Record<string, string>): KeyMatcher[] {
  return Object.entries(templates).map(([key, template]) => {
    const [typePart, query = ''] = template.split('?');
    const resourceType = (typePart ?? '').split('/')[0] ?? '';
    const code = new URLSearchParams(query).get('code');
    return { key, resourceType, read: !template.includes('?'), codes: code ? new Set(code.split(',')) : undefined };
  });
}

function codesOf(resource: FhirResource): string[] {
  const code = (resource as Observation).code;
  return (code?.coding ?? []).map((c) => `${c.system}|${c.code}`);
}

export function searchset(resources: FhirResource[]): Bundle {
  return { resourceType: 'Bundle', type: 'searchset', total: resources.length, entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id ?? crypto.randomUUID()}`, resource })) };
}

/** Prefetch for every key of the service: read keys get the resource or null, search keys a searchset Bundle. */
export function fullPrefetch(resources: FhirResource[], serviceId = 'imatinib-order-sign'): Record<string, FhirResource | null> {
  const keyed = new Map<string, FhirResource[]>();
  const ms = matchers(serviceFile(serviceId).prefetch);
  for (const m of ms) keyed.set(m.key, []);
  for (const resource of resources) {
    for (const m of ms) {
      if (m.resourceType !== resource.resourceType) continue;
      if (m.codes && !codesOf(resource).some((c) => m.codes?.has(c))) continue;
      keyed.get(m.key)?.push(resource);
    }
  }
  const prefetch: Record<string, FhirResource | null> = {};
  for (const m of ms) {
    const found = keyed.get(m.key) ?? [];
    prefetch[m.key] = m.read ? (found[0] ?? null) : searchset(found);
  }
  return prefetch;
}

export function draftBundle(orders: FhirResource[], withType = false): Bundle {
  const bundle: Bundle = { resourceType: 'Bundle', entry: orders.map((resource) => ({ resource })) } as Bundle;
  if (withType) bundle.type = 'collection';
  return bundle;
}

export interface RequestOptions {
  orders: FhirResource[];
  prefetch?: Record<string, unknown>;
  patientId?: string;
  selections?: string[];
  fhirServer?: string;
  accessToken?: string;
  hookInstance?: string;
}

export function orderSignRequest(o: RequestOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    hookInstance: o.hookInstance ?? crypto.randomUUID(),
    hook: 'order-sign',
    context: { userId: 'Practitioner/prescriber-1', patientId: o.patientId ?? PATIENT_ID, draftOrders: draftBundle(o.orders) },
  };
  if (o.prefetch) body.prefetch = o.prefetch;
  if (o.fhirServer) body.fhirServer = o.fhirServer;
  if (o.accessToken) body.fhirAuthorization = { access_token: o.accessToken, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'imatinib-cds' };
  return body;
}

export function orderSelectRequest(o: RequestOptions): Record<string, unknown> {
  const body = orderSignRequest(o);
  body.hook = 'order-select';
  const selections = o.selections ?? o.orders.filter((r) => r.resourceType === 'MedicationRequest').map((r) => `MedicationRequest/${(r as MedicationRequest).id}`);
  (body.context as Record<string, unknown>).selections = selections;
  return body;
}

/** A non-imatinib MedicationRequest (amoxicillin, from the hook library's R4 example). */
export function amoxicillinOrder(id = 'smart-MedicationRequest-103'): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '617993', display: 'Amoxicillin 120 MG/ML / clavulanate potassium 8.58 MG/ML Oral Suspension' }] },
    subject: { reference: `Patient/${PATIENT_ID}` },
    dosageInstruction: [{ text: '5 mL bid x 10 days', timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }],
  };
}
