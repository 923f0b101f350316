/**
 * The performance work must not change what the service answers or logs. This test replays the bench's
 * requests (bench/patient.ts, bench/records.ts: the sizes of the sweep, the non-imatinib path, the fetch path
 * against a real FHIR server, the pharmacy summary) and compares each answer (cards minus their uuids) and
 * each request log line (minus its id, time, duration and process id) with test/fixtures/golden/hot-path.json, written from the
 * code as it was before the optimisations. Regenerate only for an intended change:
 *   UPDATE_GOLDEN=1 npx jest test/integration/hot-path-golden
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FhirResource } from 'fhir/r4';
import { amoxicillinDraftOrder, completePrefetch, imatinibDraftOrder, orderSignBody } from '../../bench/patient';
import { patientRecord } from '../../bench/records';
import { serviceFile } from '../helpers/requests';
import { startFhirServer, type TestFhirServer } from '../helpers/fhir-server';
import { listen, makeService, type ListeningService } from '../helpers/service';

const GOLDEN = path.resolve(__dirname, '../fixtures/golden/hot-path.json');
const NOW = new Date('2026-06-01T12:00:00Z');

interface Case {
  name: string;
  service: string;
  body: () => string;
}

const templates = (service: string) => serviceFile(service).prefetch;
const withPrefetch = (service: string, resources: FhirResource[], order = imatinibDraftOrder(NOW)) => orderSignBody({ order, prefetch: completePrefetch(templates(service), resources) });

let fhir: TestFhirServer;
let svc: ListeningService;

const CASES: Case[] = [
  ...[14, 100, 1000, 3000].map((size) => ({ name: `imatinib, ${size}-resource record in prefetch`, service: 'imatinib-order-sign', body: () => withPrefetch('imatinib-order-sign', patientRecord(NOW, size)) })),
  { name: 'no imatinib order, 14-resource prefetch', service: 'imatinib-order-sign', body: () => withPrefetch('imatinib-order-sign', patientRecord(NOW, 14), amoxicillinDraftOrder(NOW)) },
  { name: 'no imatinib order, 1000-resource prefetch', service: 'imatinib-order-sign', body: () => withPrefetch('imatinib-order-sign', patientRecord(NOW, 1000), amoxicillinDraftOrder(NOW)) },
  { name: 'pharmacy summary, 1000-resource record', service: 'imatinib-pharmacy-verify', body: () => withPrefetch('imatinib-pharmacy-verify', patientRecord(NOW, 1000)) },
  { name: 'imatinib order-select, 100-resource record', service: 'imatinib-order-select', body: () => selectBody(withPrefetch('imatinib-order-select', patientRecord(NOW, 100))) },
  {
    name: 'imatinib, no prefetch: every key fetched from the FHIR server (300-resource record)',
    service: 'imatinib-order-sign',
    body: () => orderSignBody({ order: imatinibDraftOrder(NOW), fhirServer: fhir.baseUrl, fhirAccessToken: 'golden-access-token' }),
  },
];

function selectBody(signBody: string): string {
  const body = JSON.parse(signBody) as { hook: string; context: Record<string, unknown> };
  body.hook = 'order-select';
  body.context.selections = ['MedicationRequest/bench-imatinib-draft'];
  return JSON.stringify(body);
}

/** The answer without what is random per request (uuids) or per listener (the port in source.url). */
function normalise(answer: unknown, baseUrl: string): unknown {
  return JSON.parse(JSON.stringify(answer).split(baseUrl).join('http://service'), (key, value: unknown) => (key === 'uuid' ? 'uuid' : value));
}

function logLine(svcLogs: ListeningService['logs'], from: number): Record<string, unknown> {
  const lines = svcLogs.lines.slice(from).filter((l) => l.message === 'request');
  if (lines.length !== 1) throw new Error(`expected one request log line, got ${lines.length}`);
  const { requestId, durationMs, pid, timestamp, ...rest } = lines[0] as Record<string, unknown>;
  expect(timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  expect(typeof requestId).toBe('string');
  expect(typeof durationMs).toBe('number');
  expect(pid).toBe(process.pid);
  return rest;
}

beforeAll(async () => {
  fhir = await startFhirServer();
  await fhir.load(patientRecord(NOW, 300));
  svc = await listen(makeService({ fhir: { allowedServers: ['http://127.0.0.1'] } }, { now: () => NOW }));
}, 60_000);
afterAll(async () => {
  await svc?.stop();
  await fhir?.close();
});

describe('the bench requests answer and log exactly as before the performance work', () => {
  const results: Record<string, unknown> = {};
  afterAll(() => {
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
      fs.writeFileSync(GOLDEN, `${JSON.stringify(results, null, 2)}\n`);
    }
  });

  it.each(CASES.map((c) => [c.name, c]))('%s', async (_name, c) => {
    const from = svc.logs.lines.length;
    const res = await fetch(`${svc.baseUrl}/cds-services/${c.service}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: c.body() });
    const answer = { status: res.status, body: normalise(await res.json(), svc.baseUrl) };
    await new Promise((r) => setImmediate(r));
    const log = logLine(svc.logs, from);
    results[c.name] = { answer, log };
    if (process.env.UPDATE_GOLDEN === '1') return;
    const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, { answer: unknown; log: unknown }>;
    expect(golden[c.name]).toBeDefined();
    expect(answer).toEqual(golden[c.name]?.answer);
    expect(log).toEqual(golden[c.name]?.log);
  });
});
