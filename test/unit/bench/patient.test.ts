import crypto from 'node:crypto';
import { amoxicillinDraftOrder, completePrefetch, HOOK_INSTANCE_PLACEHOLDER, imatinibDraftOrder, orderSignBody, patientResources, prefetchResourceCount, splitBody } from '../../../bench/patient';
import { generateSigningKey, mintJwt, TokenPool } from '../../../bench/tokens';

const templates = {
  patient: 'Patient/{{context.patientId}}',
  labs: 'Observation?patient={{context.patientId}}&code=http://loinc.org|751-8,http://loinc.org|1975-2',
  pregnancy: 'Observation?patient={{context.patientId}}&code=http://loinc.org|82810-3',
};

describe('bench requests', () => {
  const now = new Date('2026-06-01T12:00:00Z');

  it('fills read keys with the resource and search keys with a searchset of matching codes', () => {
    const prefetch = completePrefetch(templates, patientResources(now));
    expect(prefetch.patient?.resourceType).toBe('Patient');
    const labs = prefetch.labs as { entry: { resource: { id: string } }[] };
    expect(labs.entry.map((e) => e.resource.id).sort()).toEqual(['bench-anc', 'bench-bili']);
    expect(prefetch.pregnancy).toMatchObject({ resourceType: 'Bundle', total: 0, entry: [] });
  });

  it('splits a body around its hookInstance so each request can carry a fresh one', () => {
    const body = orderSignBody({ order: imatinibDraftOrder(now), prefetch: completePrefetch(templates, patientResources(now)) });
    const [pre, post] = splitBody(body);
    const id = crypto.randomUUID();
    const parsed = JSON.parse(pre + id + post) as { hookInstance: string; context: { draftOrders: { entry: { resource: { medicationCodeableConcept: { coding: { code: string }[] } } }[] } } };
    expect(parsed.hookInstance).toBe(id);
    expect(parsed.context.draftOrders.entry[0]?.resource.medicationCodeableConcept.coding[0]?.code).toBe('403879');
    expect(body).toContain(HOOK_INSTANCE_PLACEHOLDER);
    expect(amoxicillinDraftOrder(now).medicationCodeableConcept?.coding?.[0]?.code).toBe('308191');
  });
});

describe('bench tokens', () => {
  it('mints ES384 tokens with a fresh jti that verify with the public JWK', () => {
    const key = generateSigningKey('ES384');
    const a = mintJwt(key, 'http://127.0.0.1:1/cds-services/x');
    const b = mintJwt(key, 'http://127.0.0.1:1/cds-services/x');
    const [h, p, s] = a.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as { jti: string; aud: string; exp: number; iat: number };
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'ES384', typ: 'JWT', kid: 'bench-es384' });
    expect(payload.aud).toBe('http://127.0.0.1:1/cds-services/x');
    expect(payload.exp - payload.iat).toBe(300);
    expect(payload.jti).not.toBe(JSON.parse(Buffer.from(b.split('.')[1] as string, 'base64url').toString()).jti);
    const pub = crypto.createPublicKey({ key: key.publicJwk as crypto.JsonWebKey, format: 'jwk' });
    expect(crypto.verify('sha384', Buffer.from(`${h}.${p}`), { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
  });

  it('never hands out a token twice and counts tokens minted after the pool ran dry', () => {
    const pool = new TokenPool(generateSigningKey('RS384'), 'http://127.0.0.1:1/x');
    pool.fill(2);
    const seen = new Set([pool.next(), pool.next(), pool.next()]);
    expect(seen.size).toBe(3);
    expect(pool.used).toBe(2);
    expect(pool.mintedOnDemand).toBe(1);
  });

  it('takes tokens minted elsewhere as a fresh pool', () => {
    const pool = new TokenPool(generateSigningKey('RS384'), 'http://127.0.0.1:1/x');
    pool.fill(1);
    pool.next();
    pool.next();
    pool.replace(['a', 'b']);
    expect([pool.next(), pool.next(), pool.size, pool.used, pool.mintedOnDemand]).toEqual(['a', 'b', 2, 2, 0]);
  });
});

describe('bench prefetch size', () => {
  it('counts a read key as one resource and a search key as its entries', () => {
    const prefetch = completePrefetch(templates, patientResources(new Date('2026-06-01T12:00:00Z')));
    expect(prefetchResourceCount(prefetch)).toBe(3);
    expect(prefetchResourceCount({ a: null })).toBe(0);
  });
});
