import { isUnsafeKey } from '../../../src/hardening';
import { listen, makeService } from '../../helpers/service';
import { fullPrefetch, orderSignRequest } from '../../helpers/requests';
import { NOW, PATIENT_ID, gistCondition, imatinibOrder, metastasisCondition, variantObservation } from '../../helpers/fhir-builders';

const hostileKeys = '"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}';

afterEach(() => {
  // If a test ever polluted the prototype, clean up so other tests are not affected.
  delete (Object.prototype as Record<string, unknown>).polluted;
});

it('identifies the unsafe keys, and only those', () => {
  expect(['__proto__', 'constructor', 'prototype'].every(isUnsafeKey)).toBe(true);
  expect(['resourceType', 'proto', 'constructorName'].some(isUnsafeKey)).toBe(false);
});

it('are removed from request bodies at every level: the echoed draft order does not carry them back', async () => {
  const svc = await listen(makeService({}, { now: () => NOW }));
  try {
    // Advanced KIT exon 9 GIST at 400 mg daily: the answer echoes the whole draft order in a dose suggestion.
    const history = [{ resourceType: 'Patient', id: PATIENT_ID } as never, gistCondition(), metastasisCondition(), variantObservation({ gene: 'KIT', exon: '9' })];
    const body = JSON.stringify(orderSignRequest({ orders: [imatinibOrder({ id: 'o1' })], prefetch: fullPrefetch(history) }));
    // Insert the hostile keys at the top, in the context and in the draft order.
    const hostile = body
      .replace('{', `{${hostileKeys},`)
      .replace('"context":{', `"context":{${hostileKeys},`)
      .replace('"resourceType":"MedicationRequest",', `"resourceType":"MedicationRequest",${hostileKeys},`);
    expect(hostile.match(/__proto__/g)).toHaveLength(3);
    const res = await fetch(`${svc.baseUrl}/cds-services/imatinib-order-sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: hostile });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"type":"update"');
    expect(text).not.toMatch(/__proto__|constructor|"polluted"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  } finally {
    await svc.stop();
  }
});
