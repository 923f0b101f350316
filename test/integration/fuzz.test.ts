/**
 * Property-based fuzzing of the real app (auth on, valid tokens): thousands of mutated CDS Hooks requests
 * (fields deleted, retyped, oversized, deeply nested, __proto__ keys), raw random bodies, wrong content types
 * and odd methods/paths. Invariants: never a 5xx, always a JSON body (OperationOutcome or cards, no stack
 * trace), 200 answers are valid CDS responses, no prototype pollution, and a valid request still works after.
 *
 * Deterministic by default (fixed seed); explore with FUZZ_SEED=<n> (or "random") and FUZZ_RUNS=<total>.
 *
 * Time-boxed so that a slow or loaded machine cannot make it fail by timing out: each property has its own
 * wall-clock budget (its share of FUZZ_BUDGET_MS, default 16 s in all) and fast-check stops generating cases when
 * it is spent (interruptAfterTimeLimit, not marked as a failure), so the same seed runs the same cases, only
 * fewer of them. Each property must still run cases, and any failing case still fails the test; every `it`
 * has a jest timeout well above its budget. The runs each property did are printed at the end.
 */
import http from 'node:http';
import fc from 'fast-check';
import type { Bundle, FhirResource } from 'fhir/r4';
import { checkJsonLimits } from '../../src/hardening';
import { assertValidCdsResponse } from '../helpers/assert-cds';
import {
  LOINC,
  NOW,
  PATIENT_ID,
  daysAgo,
  diseaseStatus,
  gistCondition,
  imatinibOrder,
  imatinibRecord,
  lab,
  medicationRequest,
  metastasisCondition,
  pregnancyStatus,
  regionStudied,
  variantObservation,
} from '../helpers/fhir-builders';
import { bearer, mintToken, testClients, TEST_PUBLIC_BASE_URL } from '../helpers/jwt';
import { fullPrefetch, orderSelectRequest, orderSignRequest } from '../helpers/requests';
import { listen, makeService, type ListeningService } from '../helpers/service';

const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() : Number(process.env.FUZZ_SEED ?? 20260601);
const runs = (share: number) => Math.max(1, Math.round(TOTAL_RUNS * share));
/** Wall-clock budget of all the properties together; each gets its share, at least MIN_BUDGET_MS. */
const TOTAL_BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 16_000);
const MIN_BUDGET_MS = 2000;
const budget = (share: number) => Math.max(MIN_BUDGET_MS, Math.round(TOTAL_BUDGET_MS * share));
/**
 * jest's timeout for a test: its budget plus ample room. Once the budget is spent fast-check returns at once
 * (an in-flight case is abandoned, and shrinking a failure stops too), so only a hung setup could reach it.
 */
const testTimeout = (share: number) => budget(share) + 20_000;
const SHARE = { hook: 0.6, feedback: 0.15, raw: 0.15, odd: 0.1 } as const;
/**
 * Bodies above the configured limit only test the 413 path (covered elsewhere); worse, the server answers
 * before reading them and the client sees a reset mid-upload, which says nothing about the app.
 */
const MAX_BODY_BYTES = 900_000;

let svc: ListeningService;
beforeAll(async () => {
  svc = await listen(
    makeService(
      {
        publicBaseUrl: TEST_PUBLIC_BASE_URL,
        auth: { required: true, trustedClients: testClients() },
        // Any fetch a mutated request provokes goes to the discard port: refused at once, never a live service.
        fhir: { allowedServers: ['http://127.0.0.1:9'], requestTimeoutMs: 300, budgetMs: 500 },
      },
      { now: () => NOW },
    ),
  );
});
afterAll(() => svc.stop());

// ------------------------------------------------------------------ valid seed requests

const patient: FhirResource = { resourceType: 'Patient', id: PATIENT_ID, gender: 'female', birthDate: '1990-04-02' };

function history(): FhirResource[] {
  return [
    patient,
    gistCondition(),
    metastasisCondition(),
    regionStudied(['KIT', 'PDGFRA']),
    variantObservation({ gene: 'KIT', exon: '9', cHgvs: 'NM_000222.3:c.1504_1509dup' }),
    imatinibRecord({ status: 'active', start: daysAgo(300), tablets: 1, frequency: 1 }),
    diseaseStatus('worsened', daysAgo(20)),
    pregnancyStatus(false, daysAgo(30)),
    lab(LOINC.anc, 1.2, '10*9/L', daysAgo(3)),
    lab(LOINC.platelets, 160, '10*9/L', daysAgo(3)),
    lab(LOINC.bilirubin, 1.1, 'mg/dL', daysAgo(3), 1.2),
    lab(LOINC.alt, 35, 'U/L', daysAgo(3), 40),
    lab(LOINC.ast, 30, 'U/L', daysAgo(3), 40),
    lab(LOINC.crclCockcroftGault, 55, 'mL/min', daysAgo(3)),
    medicationRequest({ rxnorm: '11289', display: 'warfarin', status: 'active' }),
  ];
}

interface Seed {
  serviceId: string;
  body: Record<string, unknown>;
}

function seeds(): Seed[] {
  const h = history();
  const order = imatinibOrder({ id: 'imatinib-draft-1', tablets: 1, frequency: 1 });
  return [
    { serviceId: 'imatinib-order-sign', body: orderSignRequest({ orders: [order], prefetch: fullPrefetch(h), fhirServer: 'http://127.0.0.1:9/fhir', accessToken: 'opaque' }) },
    { serviceId: 'imatinib-order-select', body: orderSelectRequest({ orders: [order, medicationRequest({ id: 'amox', rxnorm: '617993', status: 'draft' })], prefetch: fullPrefetch(h, 'imatinib-order-select') }) },
    { serviceId: 'imatinib-pharmacy-verify', body: orderSignRequest({ orders: [order, imatinibOrder({ id: 'imatinib-draft-2', rxnorm: '403878', tablets: 2, frequency: 2 })], prefetch: fullPrefetch(h, 'imatinib-pharmacy-verify') }) },
  ];
}

const FEEDBACK_SEED = {
  feedback: [
    { card: '9f9c1c5e-6ad2-4f1b-9c39-0b4a3d2f1e10', outcome: 'overridden', overrideReasons: [{ reason: { code: 'patient-declined', system: 'http://example.org/reasons' }, userComment: 'discussed' }], outcomeTimestamp: '2026-06-01T12:00:00Z' },
    { card: '1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9', outcome: 'accepted', acceptedSuggestions: [{ id: '0a1b2c3d-4e5f-4607-8819-2a3b4c5d6e7f' }], outcomeTimestamp: '2026-06-01T12:00:00Z' },
  ],
};

// ------------------------------------------------------------------ mutations

type Path = (string | number)[];
type Json = unknown;

/** Paths of the value's members, at most MAX_PATHS of them (mutated bodies can hold 20 000-element arrays). */
const MAX_PATHS = 2000;

function paths(root: Json): Path[] {
  const out: Path[] = [];
  const walk = (v: Json, p: Path, depth: number) => {
    if (depth > 12 || typeof v !== 'object' || v === null || out.length >= MAX_PATHS) return;
    // Own keys only, never Array.prototype methods: a mutated array may carry an own "constructor".
    const keys: (string | number)[] = Array.isArray(v) ? Array.from({ length: v.length }, (_, i) => i) : Object.keys(v);
    for (const k of keys) {
      out.push([...p, k]);
      walk((v as Record<string | number, Json>)[k], [...p, k], depth + 1);
    }
  };
  walk(root, [], 0);
  return out;
}

function parentOf(root: Json, path: Path): Record<string | number, Json> | undefined {
  let cur: Json = root;
  for (const k of path.slice(0, -1)) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, Json>)[k];
  }
  return typeof cur === 'object' && cur !== null ? (cur as Record<string | number, Json>) : undefined;
}

/** Sets an own, enumerable property even for "__proto__", so JSON.stringify sends it literally. */
function defineKey(obj: Record<string | number, Json>, key: string | number, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function nest(depth: number, leaf: Json, asArray: boolean): Json {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { n: v };
  return v;
}

const hostileScalars: Json[] = [
  null, '', ' ', 0, -1, 1.5, 1e308, -1e308, 5e-324, true, false, [], {}, 'NaN', 'Infinity', '2026-13-45', '0000-00-00T99:99:99Z',
  '\u0000', '\ud800', '💊'.repeat(10), 'Patient/../../etc/passwd', 'http://127.0.0.1:9/fhir', '{{context.patientId}}',
  'MedicationRequest/', '/', 'x'.repeat(70_000), '<script>alert(1)</script>', "'; DROP TABLE cards; --",
];

const mutationArb = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...hostileScalars), fc.jsonValue({ maxDepth: 3 })) }),
  fc.record({ op: fc.constant('retype' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('protoKey' as const), at: fc.nat(), key: fc.constantFrom('__proto__', 'constructor', 'prototype'), value: fc.constantFrom<Json>({ polluted: 'yes' }, { prototype: { polluted: 'yes' } }, 'yes', [1]) }),
  fc.record({ op: fc.constant('deep' as const), at: fc.nat(), depth: fc.integer({ min: 10, max: 200 }), asArray: fc.boolean() }),
  fc.record({ op: fc.constant('hugeArray' as const), at: fc.nat(), length: fc.constantFrom(4999, 5001, 20_000) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), times: fc.integer({ min: 2, max: 8 }) }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

function retype(v: Json): Json {
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 0;
  if (Array.isArray(v)) return v.length > 0 ? v[0] : {};
  if (v === null) return [];
  return [v];
}

function apply(root: Json, m: Mutation): Json {
  const all = paths(root);
  if (all.length === 0) return root;
  const path = all[m.at % all.length]!;
  const parent = parentOf(root, path);
  if (!parent) return root;
  const key = path[path.length - 1]!;
  const current = parent[key];
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      break;
    case 'replace':
      parent[key] = structuredClone(m.value);
      break;
    case 'retype':
      parent[key] = retype(current);
      break;
    case 'protoKey':
      if (typeof current === 'object' && current !== null && !Array.isArray(current)) defineKey(current as Record<string, Json>, m.key, structuredClone(m.value));
      else if (!Array.isArray(parent)) defineKey(parent, m.key, structuredClone(m.value));
      break;
    case 'deep':
      parent[key] = nest(m.depth, current ?? 1, m.asArray);
      break;
    case 'hugeArray':
      parent[key] = Array.from({ length: m.length }, (_, i) => i % 7);
      break;
    case 'duplicate': {
      const item = Array.isArray(current) ? (current[0] ?? null) : current;
      // Only small members are multiplied, so the body stays well under the size limit.
      if ((JSON.stringify(item) ?? '').length <= 20_000) parent[key] = Array.from({ length: m.times }, () => structuredClone(item));
      break;
    }
  }
  return root;
}

// ------------------------------------------------------------------ sending and invariants

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
}

const statusCounts = new Map<number, number>();

/**
 * One request on a fresh connection (node:http, no agent): a pooled keep-alive socket can be closed by the
 * server's keepAliveTimeout just as the next request goes out, and that race would read as a failure here.
 */
function send(s: Sent): Promise<Answer> {
  const url = new URL(svc.baseUrl);
  return new Promise<Answer>((resolve, reject) => {
    // A body is framed with Content-Length: Node's client sends GET/DELETE/OPTIONS bodies unframed otherwise, and
    // the server then reads them as a second, malformed request (a race between 405 and Node's own bare 400).
    const headers = s.body === undefined ? s.headers : { ...s.headers, 'content-length': String(Buffer.byteLength(s.body)) };
    const req = http.request({ host: url.hostname, port: url.port, method: s.method, path: s.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
        resolve({ status, contentType: res.headers['content-type'] ?? null, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(s.body);
  });
}

function tokenFor(path: string): string {
  const q = path.search(/[?#]/);
  return bearer(mintToken({ aud: `${TEST_PUBLIC_BASE_URL}${q === -1 ? path : path.slice(0, q)}` }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The parts of a response the service authors itself, whatever the client sent. */
function assertCardsWellFormed(body: Record<string, unknown>, draftOrders: Bundle | undefined): void {
  expect(Array.isArray(body.cards)).toBe(true);
  const draftIds = new Set((Array.isArray(draftOrders?.entry) ? draftOrders.entry : []).map((e) => `${String(e?.resource?.resourceType)}/${String(e?.resource?.id)}`));
  for (const card of body.cards as Record<string, unknown>[]) {
    expect(card.uuid).toMatch(UUID);
    expect(typeof card.summary === 'string' && card.summary.length > 0).toBe(true);
    expect(['info', 'warning', 'critical']).toContain(card.indicator);
    expect(typeof (card.source as { label?: unknown })?.label).toBe('string');
    for (const s of (card.suggestions ?? []) as { uuid: string; actions?: { type: string; resource?: { resourceType?: unknown; id?: unknown } }[] }[]) {
      expect(s.uuid).toMatch(UUID);
      for (const a of s.actions ?? []) {
        expect(['create', 'update', 'delete']).toContain(a.type);
        if (a.type === 'update') expect(draftIds).toContain(`${String(a.resource?.resourceType)}/${String(a.resource?.id)}`);
      }
    }
  }
}

/** True when the draft orders look like what real clients send (string status/intent, no empty values). */
function isWellFormedDraft(orders: Bundle | undefined): boolean {
  if (!orders || hasEmptyValues(orders) || !Array.isArray(orders.entry)) return false;
  return orders.entry.every((e) => {
    const r = e?.resource as Record<string, unknown> | undefined;
    return typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.status === 'string' && typeof r.intent === 'string';
  });
}

function hasEmptyValues(v: unknown): boolean {
  if (v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0 || v.some(hasEmptyValues);
  if (typeof v === 'object') {
    const values = Object.values(v as object);
    return values.length === 0 || values.some(hasEmptyValues);
  }
  return false;
}

/** The cause of a 5xx, from the service's own log (message and top stack frames), for the failure message. */
function lastServerError(): string {
  const line = svc.logs.lines.filter((l) => l.level === 'error').at(-1);
  const error = line?.error as { message?: string; stack?: string } | undefined;
  return error ? `${error.message ?? ''} ${(error.stack ?? '').split('\n').slice(1, 3).map((f) => f.trim()).join(' ')}` : '(none)';
}

function checkInvariants(s: Sent, a: Answer, draftOrders?: unknown): void {
  if (a.status >= 500) throw new Error(`${s.method} ${s.path} → ${a.status}: ${a.text.slice(0, 300)}\nserver log: ${lastServerError()}`);
  expect(a.text).not.toMatch(/\bat .+\.(ts|js):\d+/); // never a stack trace
  // 431 comes from Node's HTTP parser (headers over maxHeaderSize) before the app runs: empty body by design.
  if (s.method === 'HEAD' || a.status === 204 || a.status === 431) return;
  expect(a.contentType).toMatch(/^application\/json/);
  const body = JSON.parse(a.text) as Record<string, unknown>;
  if (a.status === 200 && s.method === 'POST' && /^\/cds-services\/[^/]+$/.test(s.path.split('?')[0]!)) {
    const orders = typeof draftOrders === 'object' && draftOrders !== null ? (draftOrders as Bundle) : undefined;
    // Suggestions echo the client's draft resource; when the client itself sent a malformed one
    // ("subject": {}, an object as status), the echo carries it too, so only our own parts are checked then.
    if (isWellFormedDraft(orders)) assertValidCdsResponse(body, orders);
    else assertCardsWellFormed(body, orders);
  } else if (a.status >= 400) {
    expect(body.resourceType).toBe('OperationOutcome');
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/fhir+json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '') },
);

// ------------------------------------------------------------------ properties

const runReport: string[] = [];

/**
 * Runs a property for its share of the cases within its share of the time budget. fc.check, not fc.assert: an
 * interrupted run is not a failure (failOnInterrupt false, i.e. markInterruptAsFailure false), but a failing
 * case is, with fast-check's report (seed and path to replay it), and so is a property that ran no case at all.
 */
async function checkProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>, share: number): Promise<void> {
  const name = expect.getState().currentTestName ?? '?';
  const numRuns = runs(share);
  const started = Date.now();
  const details = await fc.check(property, { numRuns, seed: SEED, plugins: [fc.interruptAfterTimeLimit(budget(share), { failOnInterrupt: false })] });
  const ms = Date.now() - started;
  runReport.push(
    `${details.numRuns}/${numRuns} runs${details.numSkips > 0 ? ` (+${details.numSkips} skipped)` : ''} in ${ms} ms${details.interrupted ? `, stopped by its ${budget(share)} ms budget` : ''}: ${name}`,
  );
  if (details.failed) throw new Error(await fc.asyncDefaultReportMessage(details), { cause: details.errorInstance });
  expect(details.numRuns).toBeGreaterThan(0);
}

afterAll(() => {
  console.log(`fuzz (seed ${SEED}, budget ${TOTAL_BUDGET_MS} ms):\n  ${runReport.join('\n  ')}`);
});

let baseline: { serviceId: string; ruleIds: string[] }[] = [];

async function ruleIdsOf(seed: Seed): Promise<string[]> {
  const path = `/cds-services/${seed.serviceId}`;
  const a = await send({ method: 'POST', path, headers: { 'content-type': 'application/json', authorization: tokenFor(path) }, body: JSON.stringify(seed.body) });
  expect({ status: a.status, text: a.status === 200 ? '' : a.text }).toEqual({ status: 200, text: '' });
  const cards = (JSON.parse(a.text) as { cards: { source: { topic?: { code: string } } }[] }).cards;
  return cards.map((c) => c.source.topic?.code ?? '?').sort();
}

beforeAll(async () => {
  baseline = await Promise.all(seeds().map(async (s) => ({ serviceId: s.serviceId, ruleIds: await ruleIdsOf(s) })));
});

it('the seed requests are valid and produce cards (so the fuzz starts from requests that reach the rules)', () => {
  expect(baseline.every((b) => b.ruleIds.length > 0)).toBe(true);
}, 10_000);

it('mutated hook requests never cause a 5xx and always get a JSON answer', async () => {
  await checkProperty(
    fc.asyncProperty(fc.nat({ max: 2 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.constantFrom('application/json', 'application/fhir+json', 'application/json; charset=utf-8'), async (which, mutations, contentType) => {
      const seed = seeds()[which]!;
      // A JSON copy: the FHIR builders share objects (e.g. one `subject`) that a mutation must not alter for later runs.
      let body: Json = JSON.parse(JSON.stringify(seed.body)) as Json;
      for (const m of mutations) body = apply(body, m);
      const text = JSON.stringify(body);
      fc.pre(Buffer.byteLength(text) < MAX_BODY_BYTES);
      const path = `/cds-services/${seed.serviceId}`;
      const s: Sent = { method: 'POST', path, headers: { 'content-type': contentType, authorization: tokenFor(path) }, body: text };
      // Compare suggestions with what the service actually received (its limits walk drops __proto__ & co.).
      const received = JSON.parse(text) as { context?: { draftOrders?: unknown } } | null;
      checkJsonLimits(received, { maxJsonDepth: Number.MAX_SAFE_INTEGER, maxStringLength: Number.MAX_SAFE_INTEGER, maxArrayLength: Number.MAX_SAFE_INTEGER });
      const draftOrders = received?.context?.draftOrders;
      checkInvariants(s, await send(s), draftOrders);
    }),
    SHARE.hook,
  );
}, testTimeout(SHARE.hook));

it('mutated feedback never causes a 5xx', async () => {
  await checkProperty(
    fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), async (mutations) => {
      let body: Json = structuredClone(FEEDBACK_SEED);
      for (const m of mutations) body = apply(body, m);
      const text = JSON.stringify(body);
      fc.pre(Buffer.byteLength(text) < MAX_BODY_BYTES);
      const path = '/cds-services/imatinib-order-sign/feedback';
      const s: Sent = { method: 'POST', path, headers: { 'content-type': 'application/json', authorization: tokenFor(path) }, body: text };
      checkInvariants(s, await send(s));
    }),
    SHARE.feedback,
  );
}, testTimeout(SHARE.feedback));

it('random bytes, truncated JSON and arbitrary JSON values never cause a 5xx', async () => {
  const valid = JSON.stringify(seeds()[0]!.body);
  const bodyArb = fc.oneof(
    fc.uint8Array({ maxLength: 4096 }),
    fc.string({ maxLength: 2000 }),
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.constantFrom('\ufeff' + valid, valid + 'garbage', `${valid},${valid}`, '[' + valid + ']', '{"hook":"order-sign","hook":"patient-view"}', '{"__proto__":{"polluted":"yes"},"hook":"order-sign"}', '"just a string"', 'null', '1e999999'),
  );
  await checkProperty(
    fc.asyncProperty(fc.constantFrom('imatinib-order-sign', 'imatinib-order-select', 'imatinib-order-sign/feedback'), bodyArb, contentTypeArb, async (target, body, contentType) => {
      const path = `/cds-services/${target}`;
      const s: Sent = { method: 'POST', path, headers: { 'content-type': contentType, authorization: tokenFor(path) }, body };
      checkInvariants(s, await send(s));
    }),
    SHARE.raw,
  );
}, testTimeout(SHARE.raw));

it('odd methods, paths and Authorization headers never cause a 5xx', async () => {
  const pathArb = fc.oneof(
    fc.constantFrom('/cds-services', '/cds-services/', '/cds-services/imatinib-order-sign', '/cds-services/imatinib-order-sign/feedback', '/cds-services/nope', '/cds-services/%ZZ', '/cds-services/..%2f..%2fetc', '/cds-services/imatinib-order-sign/feedback/x', '/cds-services/imatinib-order-sign?x=1&x=2', '/healthz', '/readyz', '/', '//cds-services', '/cds-services/__proto__', '/cds-services/constructor', '/cds-services/hasOwnProperty'),
    fc.stringMatching(/^[A-Za-z0-9%._~-]{0,300}$/).map((s) => `/cds-services/${s}`),
  );
  const authArb = fc.oneof(
    { weight: 4, arbitrary: fc.constant('valid') },
    { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', 'Bearer a.b.c', 'Bearer ' + 'A'.repeat(20_000), 'bearer  x', 'Bearer \u00ff') },
  );
  await checkProperty(
    fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), pathArb, authArb, async (method, path, auth) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', origin: 'https://sandbox.cds-hooks.org' };
      const authorization = auth === 'valid' ? tokenFor(path) : auth;
      if (authorization !== '') headers.authorization = authorization;
      const hasBody = method !== 'GET' && method !== 'HEAD';
      const s: Sent = { method, path, headers, body: hasBody ? JSON.stringify(seeds()[0]!.body) : undefined };
      let answer: Answer;
      try {
        answer = await send(s);
      } catch (e) {
        // node:http refuses some header values itself (e.g. non-Latin-1); that is not the service's doing.
        if ((e as { code?: string }).code === 'ERR_INVALID_CHAR') return;
        throw e;
      }
      checkInvariants(s, answer);
    }),
    SHARE.odd,
  );
}, testTimeout(SHARE.odd));

it('still serves valid requests correctly after the fuzzing, and nothing polluted Object.prototype', async () => {
  for (const seed of seeds()) {
    expect(await ruleIdsOf(seed)).toEqual(baseline.find((b) => b.serviceId === seed.serviceId)?.ruleIds);
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  const health = await fetch(`${svc.baseUrl}/healthz`);
  expect(health.status).toBe(200);
  // The fuzz must have exercised both the happy path and the rejections, or it proved nothing. Measured
  // against the requests actually sent: a time budget may have cut the runs short of TOTAL_RUNS.
  const sent = [...statusCounts.values()].reduce((a, b) => a + b, 0);
  expect(sent).toBeGreaterThan(0);
  expect(statusCounts.get(200) ?? 0).toBeGreaterThan(sent * 0.05);
  expect(statusCounts.get(400) ?? 0).toBeGreaterThan(sent * 0.05);
}, 20_000);
