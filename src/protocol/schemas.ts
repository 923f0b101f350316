/**
 * CDS Hooks 2.0.1 request schemas (zod). Strict where the spec is normative (required fields, types, the
 * order-select/order-sign context), tolerant where real clients differ from it: unknown fields and
 * `extension`s pass through, `Bundle.type` is optional, draft resources are not FHIR-validated (the Sandbox
 * sends `category` as an object), `fhirAuthorization` may lack `expires_in`/`patient`.
 */
import { z } from 'zod';
import type { Bundle } from 'fhir/r4';
import { HttpError, type OutcomeIssue } from './errors';

/** `ResourceType/id`, as in selections and userId (hook library invariant ord-1, loosened for real ids). */
const reference = z.string().regex(/^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/, 'must be a relative reference like "MedicationRequest/123"');

const fhirId = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id');

/**
 * A draft order: any resource type, loosely (clients differ), but with a FHIR id — selections and our update
 * suggestions name orders by it, so an imatinib order without one could be alerted on but never corrected.
 */
const resourceLike = z.looseObject({ resourceType: z.string().min(1), id: fhirId.optional() }).superRefine((r, ctx) => {
  if (r.resourceType === 'MedicationRequest' && r.id === undefined) ctx.addIssue({ code: 'custom', path: ['id'], message: 'required on a MedicationRequest (suggestions name the order by it)' });
});

const draftOrdersBundle = z.looseObject({
  resourceType: z.literal('Bundle'),
  type: z.string().optional(),
  entry: z.array(z.looseObject({ resource: resourceLike.optional(), fullUrl: z.string().optional() })).optional(),
});

const baseContext = {
  userId: reference,
  patientId: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id'),
  encounterId: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id').optional(),
  draftOrders: draftOrdersBundle,
};

const orderSignContext = z.looseObject(baseContext);
const orderSelectContext = z.looseObject({ ...baseContext, selections: z.array(reference).min(1) });

const fhirAuthorization = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i, 'must be "Bearer"').optional(),
  expires_in: z.number().int().optional(),
  scope: z.string().optional(),
  subject: z.string().optional(),
  patient: z.string().optional(),
});

const baseRequest = {
  hookInstance: z.string().min(1).max(128),
  fhirServer: z.url({ protocol: /^https?$/ }).optional(),
  fhirAuthorization: fhirAuthorization.optional(),
  prefetch: z.record(z.string(), z.unknown()).optional(),
  extension: z.record(z.string(), z.unknown()).optional(),
};

const orderSelectRequest = z.looseObject({ ...baseRequest, hook: z.literal('order-select'), context: orderSelectContext });
const orderSignRequest = z.looseObject({ ...baseRequest, hook: z.literal('order-sign'), context: orderSignContext });

export type OrderSelectRequest = z.infer<typeof orderSelectRequest>;
export type OrderSignRequest = z.infer<typeof orderSignRequest>;
export type HookRequest = OrderSelectRequest | OrderSignRequest;
export type SupportedHook = HookRequest['hook'];

const requestSchemas: Record<SupportedHook, z.ZodType<HookRequest>> = {
  'order-select': orderSelectRequest,
  'order-sign': orderSignRequest,
};

export function zodIssues(error: z.ZodError): OutcomeIssue[] {
  return error.issues.map((i) => {
    const path = i.path.map(String).join('.');
    return { severity: 'error', code: 'invalid', diagnostics: path ? `${path}: ${i.message}` : i.message, expression: [path || '(root)'] };
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate a service call for the hook the service is registered on; throws HttpError(400) naming each failing path. */
export function parseHookRequest(body: unknown, serviceHook: SupportedHook): HookRequest {
  if (!isObject(body)) throw HttpError.of(400, 'structure', 'request body must be a JSON object');
  if (typeof body.hook === 'string' && body.hook !== serviceHook) {
    throw HttpError.of(400, 'invalid', `hook: this service answers "${serviceHook}", not "${body.hook}"`, ['hook']);
  }
  const result = requestSchemas[serviceHook].safeParse(body);
  if (!result.success) throw new HttpError(400, zodIssues(result.error));
  const request = result.data;
  if (request.fhirAuthorization && !request.fhirServer) {
    throw HttpError.of(400, 'invalid', 'fhirServer: required when fhirAuthorization is present', ['fhirServer']);
  }
  if (request.hook === 'order-select') checkSelections(request.context.selections, request.context.draftOrders as Bundle);
  return request;
}

/** Each selection must name an entry of draftOrders (hook library: "references an entry of draftOrders"). */
function checkSelections(selections: string[], draftOrders: Bundle): void {
  const present = new Set<string>();
  for (const entry of draftOrders.entry ?? []) {
    const r = entry.resource;
    if (r?.id) present.add(`${r.resourceType}/${r.id}`);
  }
  const missing = selections.map((s, i) => [s, i] as const).filter(([s]) => !present.has(s));
  if (missing.length) {
    throw new HttpError(
      400,
      missing.map(([s, i]) => ({ severity: 'error', code: 'invalid', diagnostics: `context.selections.${i}: "${s}" is not in context.draftOrders`, expression: [`context.selections.${i}`] })),
    );
  }
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const codingIn = z.looseObject({ system: z.string().min(1).max(1024), code: z.string().min(1).max(256), display: z.string().max(1024).optional() });

const feedbackItem = z
  .looseObject({
    card: z.string().min(1).max(128),
    outcome: z.enum(['accepted', 'overridden']),
    acceptedSuggestions: z.array(z.looseObject({ id: z.string().min(1).max(128) })).min(1).max(100).optional(),
    overrideReason: z.looseObject({ reason: codingIn.optional(), userComment: z.string().max(4000).optional() }).optional(),
    outcomeTimestamp: z.string().regex(rfc3339, 'must be an RFC 3339 date-time, e.g. 2026-11-27T10:15:00Z').refine((s) => !Number.isNaN(Date.parse(s)), 'must be a valid date-time'),
  })
  .superRefine((item, ctx) => {
    if (item.outcome === 'accepted' && !item.acceptedSuggestions) {
      ctx.addIssue({ code: 'custom', path: ['acceptedSuggestions'], message: 'required when outcome is "accepted"' });
    }
    if (item.outcome === 'overridden' && item.acceptedSuggestions) {
      ctx.addIssue({ code: 'custom', path: ['acceptedSuggestions'], message: 'only allowed when outcome is "accepted"' });
    }
    if (item.overrideReason && !item.overrideReason.reason && !item.overrideReason.userComment) {
      ctx.addIssue({ code: 'custom', path: ['overrideReason'], message: 'needs "reason" or "userComment"' });
    }
  });

const feedbackRequest = z.looseObject({ feedback: z.array(feedbackItem).min(1).max(1000) });

export type FeedbackItem = z.infer<typeof feedbackItem>;

export function parseFeedback(body: unknown): FeedbackItem[] {
  if (!isObject(body)) throw HttpError.of(400, 'structure', 'request body must be a JSON object');
  const result = feedbackRequest.safeParse(body);
  if (!result.success) throw new HttpError(400, zodIssues(result.error));
  return result.data.feedback;
}
