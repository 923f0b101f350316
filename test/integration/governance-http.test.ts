/**
 * The governance routes over real HTTP: the admin credential (404 unconfigured, 401 without or with a wrong
 * token, 200 with it, never logged), the public rule catalogue (/rules, /rules.json with the configured
 * thresholds) and every card's source.url pointing at its rule's anchor.
 */
import type { Card } from '../../src/protocol/cards';
import { RULES } from '../../src/clinical/rules/catalogue';
import { loadConfig } from '../../src/config';
import { ConfigError, parseConfig } from '../../src/config';
import { listen, makeService, type ListeningService } from '../helpers/service';
import { fullPrefetch, orderSignRequest } from '../helpers/requests';
import { LOINC, NOW, daysAgo, gistCondition, imatinibOrder, lab, metastasisCondition, regionStudied, variantObservation } from '../helpers/fhir-builders';

const TOKEN = 'admin-token-for-tests-0123456789abcdefABCDEF';
const ADMIN_PATHS = ['/admin/alerts', '/admin/alerts.json', '/admin/alerts.csv'];

function exon9Request(): Record<string, unknown> {
  const resources = [
    gistCondition(),
    metastasisCondition(),
    variantObservation({ gene: 'KIT', exon: '9', cHgvs: 'NM_000222.3:c.1504_1509dup' }),
    regionStudied(['KIT', 'PDGFRA']),
    lab(LOINC.anc, 3.2, '10*9/L', daysAgo(3)),
    lab(LOINC.platelets, 230, '10*3/uL', daysAgo(3)),
    lab(LOINC.bilirubin, 0.8, 'mg/dL', daysAgo(3), 1.2),
    lab(LOINC.alt, 28, 'U/L', daysAgo(3), 40),
    lab(LOINC.ast, 26, 'U/L', daysAgo(3), 40),
    lab(LOINC.crclCockcroftGault, 96, 'mL/min', daysAgo(3)),
  ];
  return orderSignRequest({ orders: [imatinibOrder({ id: 'o1', tablets: 1, frequency: 1 })], prefetch: fullPrefetch(resources) });
}

describe('admin routes without a configured token', () => {
  let svc: ListeningService;
  beforeAll(async () => {
    svc = await listen(makeService({}, { now: () => NOW }));
  });
  afterAll(() => svc.stop());

  it.each(ADMIN_PATHS)('%s answers 404, with or without a credential, for any method', async (path) => {
    for (const init of [{}, { headers: { authorization: `Bearer ${TOKEN}` } }, { method: 'POST' }, { method: 'DELETE' }]) {
      const res = await fetch(`${svc.baseUrl}${path}`, init);
      expect(res.status).toBe(404);
      expect(res.headers.get('www-authenticate')).toBeNull();
    }
  });
});

describe('admin routes with ADMIN_TOKEN', () => {
  let svc: ListeningService;
  beforeAll(async () => {
    svc = await listen(makeService({ admin: { token: TOKEN } }, { now: () => NOW }));
  });
  afterAll(() => svc.stop());

  it.each(ADMIN_PATHS)('%s: 401 without a credential, with a wrong one, with an EHR-style JWT; 200 with the token', async (path) => {
    const url = `${svc.baseUrl}${path}`;
    const without = await fetch(url);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expect(((await without.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', TOKEN, `Token ${TOKEN}`, 'Bearer eyJhbGciOiJFUzM4NCJ9.e30.c2ln', `Basic ${Buffer.from('admin:wrong').toString('base64')}`]) {
      const res = await fetch(url, { headers: { authorization } });
      expect(res.status).toBe(401);
    }
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    // A browser's own sign-in prompt: HTTP Basic with the token as the password.
    const basic = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`committee:${TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(200);
  });

  it('answers 405 to other methods once authenticated', async () => {
    const res = await fetch(`${svc.baseUrl}/admin/alerts.json`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('never writes the token (right or wrong) to a log line', async () => {
    await fetch(`${svc.baseUrl}/admin/alerts.json`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await fetch(`${svc.baseUrl}/admin/alerts.json?from=2026-01-01`, { headers: { authorization: `Bearer wrong-${TOKEN}` } });
    const text = svc.logs.text();
    expect(text).toMatch(/\/admin\/alerts\.json/);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(TOKEN.slice(0, 16));
  });

  it('does not accept the admin token on the CDS services', async () => {
    const auth = await listen(makeService({ admin: { token: TOKEN }, auth: { required: true } }, { now: () => NOW }));
    try {
      const res = await fetch(`${auth.baseUrl}/cds-services/imatinib-order-sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(exon9Request()),
      });
      expect(res.status).toBe(401);
    } finally {
      await auth.stop();
    }
  });
});

describe('admin.token in production', () => {
  const production = (token: string) => {
    const raw = JSON.parse(JSON.stringify(loadConfig({}))) as Record<string, unknown>;
    return { ...raw, publicBaseUrl: 'https://cds.example.org', admin: { token } };
  };
  it('is refused when shorter than 32 characters, naming the key and not the token', () => {
    let message = '';
    try {
      parseConfig(production('short-admin-token'), { NODE_ENV: 'production' });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/admin\.token: must be at least 32 characters/);
    expect(message).not.toContain('short-admin-token');
  });
  it('raises no admin.token problem at 32 characters', () => {
    let message = '';
    try {
      parseConfig(production('x'.repeat(32)), { NODE_ENV: 'production' });
    } catch (e) {
      message = (e as Error).message;
    }
    // Other production rules (trusted clients, auth) still apply to the development defaults; not this one.
    expect(message).not.toMatch(/admin\.token/);
  });
  it('is read from ADMIN_TOKEN', () => {
    expect(loadConfig({ ADMIN_TOKEN: TOKEN }).admin.token).toBe(TOKEN);
    expect(loadConfig({}).admin.token).toBeUndefined();
  });
});

describe('the rule catalogue page and card links', () => {
  let svc: ListeningService;
  beforeAll(async () => {
    svc = await listen(makeService({ clinical: { maxDoseMg: 900 } }, { now: () => NOW }));
  });
  afterAll(() => svc.stop());

  it('GET /rules is a public page with a section per rule, under its own strict CSP', async () => {
    const res = await fetch(`${svc.baseUrl}/rules`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|script-src/);
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    for (const rule of RULES) expect(html).toContain(`id="${rule.id}"`);
    expect(html).toContain('id="VERIFICATION_SUMMARY"');
    expect(html).toContain('id="DATA_INCOMPLETE"');
  });

  it('GET /rules.json shows the thresholds configured now, not the defaults', async () => {
    const res = await fetch(`${svc.baseUrl}/rules.json`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rules: Array<{ id: string; thresholds: Array<{ key: string; value: number }>; example: { card: Card } }> };
    expect(body.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    const max = body.rules.find((r) => r.id === 'DOSE_ABOVE_MAX');
    expect(max?.thresholds).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'clinical.maxDoseMg', value: 900 })]));
    expect(max?.example.card.summary).toMatch(/900 mg/);
    for (const rule of body.rules) expect(rule.example.card.source.topic?.code).toBe(rule.id);
  });

  it('answers 405 to other methods on the catalogue', async () => {
    expect((await fetch(`${svc.baseUrl}/rules`, { method: 'POST' })).status).toBe(405);
  });

  it("points every card's source.url at its rule's anchor on the catalogue page", async () => {
    const res = await fetch(`${svc.baseUrl}/cds-services/imatinib-order-sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(exon9Request()) });
    const { cards } = (await res.json()) as { cards: Card[] };
    expect(cards.map((c) => c.source.url)).toEqual([`${svc.baseUrl}/rules#EXON9_HIGH_DOSE`]);
    const page = await (await fetch(`${svc.baseUrl}/rules`)).text();
    expect(page).toContain('id="EXON9_HIGH_DOSE"');
  });

  it('uses publicBaseUrl for the link when it is configured', async () => {
    const pub = await listen(makeService({ publicBaseUrl: 'https://cds.example.org/' }, { now: () => NOW }));
    try {
      const res = await fetch(`${pub.baseUrl}/cds-services/imatinib-order-sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(exon9Request()) });
      const { cards } = (await res.json()) as { cards: Card[] };
      expect(cards[0]?.source.url).toBe('https://cds.example.org/rules#EXON9_HIGH_DOSE');
    } finally {
      await pub.stop();
    }
  });
});
