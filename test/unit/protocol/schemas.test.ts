import { HttpError } from '../../../src/protocol/errors';
import { parseFeedback, parseHookRequest } from '../../../src/protocol/schemas';
import { orderSelectRequest, orderSignRequest, amoxicillinOrder } from '../../helpers/requests';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof HttpError) return e.issues.map((i) => i.diagnostics);
    throw e;
  }
  throw new Error('expected an HttpError');
}

describe('hook request validation', () => {
  it('R1: names every missing required field', () => {
    const diagnostics = issuesOf(() => parseHookRequest({ hook: 'order-sign' }, 'order-sign'));
    expect(diagnostics.join('\n')).toMatch(/hookInstance/);
    expect(diagnostics.join('\n')).toMatch(/context/);
  });

  it('R1: requires fhirServer when fhirAuthorization is present', () => {
    const body = orderSignRequest({ orders: [amoxicillinOrder()] });
    body.fhirAuthorization = { access_token: 'x', token_type: 'Bearer' };
    expect(issuesOf(() => parseHookRequest(body, 'order-sign'))).toEqual(['fhirServer: required when fhirAuthorization is present']);
  });

  it('A3: order-select requires selections that reference draftOrders entries', () => {
    const body = orderSelectRequest({ orders: [amoxicillinOrder()] });
    delete (body.context as Record<string, unknown>).selections;
    expect(issuesOf(() => parseHookRequest(body, 'order-select')).join()).toMatch(/context\.selections/);
    const dangling = orderSelectRequest({ orders: [amoxicillinOrder()], selections: ['MedicationRequest/nope'] });
    expect(issuesOf(() => parseHookRequest(dangling, 'order-select'))).toEqual(['context.selections.0: "MedicationRequest/nope" is not in context.draftOrders']);
  });

  it('H4: rejects a hook that does not match the service', () => {
    const body = orderSignRequest({ orders: [amoxicillinOrder()] });
    expect(issuesOf(() => parseHookRequest(body, 'order-select'))).toEqual(['hook: this service answers "order-select", not "order-sign"']);
  });

  it('H2/X1: tolerates a draftOrders Bundle without type, unknown fields and extensions', () => {
    const body = orderSignRequest({ orders: [{ ...amoxicillinOrder(), category: { text: 'outpatient' } } as never] });
    body.extension = { 'davinci-crd.configuration': { alerts: true } };
    body.somethingNew = 1;
    const parsed = parseHookRequest(body, 'order-sign');
    expect(parsed.hook).toBe('order-sign');
    expect((parsed.context.draftOrders as { type?: string }).type).toBeUndefined();
  });

  it('R3: accepts fhirAuthorization without expires_in or patient (the Sandbox sends neither)', () => {
    const body = orderSignRequest({ orders: [amoxicillinOrder()], fhirServer: 'http://127.0.0.1:1/fhir' });
    body.fhirAuthorization = { access_token: 'abc', token_type: 'Bearer', scope: 'user/*.read', subject: 'cds' };
    expect(parseHookRequest(body, 'order-sign').fhirAuthorization?.access_token).toBe('abc');
  });

  it('rejects a non-object body', () => {
    expect(issuesOf(() => parseHookRequest([1, 2], 'order-sign'))).toEqual(['request body must be a JSON object']);
  });
});

describe('feedback validation', () => {
  const ok = { card: 'c1', outcome: 'accepted', acceptedSuggestions: [{ id: 's1' }], outcomeTimestamp: '2026-11-27T10:15:00Z' };

  it('F2: accepts accepted and overridden items, with override reasons', () => {
    const items = parseFeedback({
      feedback: [ok, { card: 'c2', outcome: 'overridden', overrideReason: { reason: { system: 'x', code: 'y' }, userComment: 'n/a' }, outcomeTimestamp: '2026-11-27T10:15:00.52+01:00' }],
    });
    expect(items).toHaveLength(2);
  });

  it('F2: requires acceptedSuggestions for accepted outcomes', () => {
    const { acceptedSuggestions: _drop, ...noSuggestions } = ok;
    expect(issuesOf(() => parseFeedback({ feedback: [noSuggestions] }))).toEqual(['feedback.0.acceptedSuggestions: required when outcome is "accepted"']);
  });

  it('F2: rejects an unknown outcome, a missing card and a non-RFC 3339 timestamp', () => {
    const text = issuesOf(() => parseFeedback({ feedback: [{ ...ok, outcome: 'ignored' }, { ...ok, card: undefined }, { ...ok, outcomeTimestamp: '27/11/2026' }] })).join('\n');
    expect(text).toMatch(/feedback\.0\.outcome/);
    expect(text).toMatch(/feedback\.1\.card/);
    expect(text).toMatch(/feedback\.2\.outcomeTimestamp/);
  });

  it('rejects an empty batch', () => {
    expect(issuesOf(() => parseFeedback({ feedback: [] })).join()).toMatch(/feedback/);
  });
});
