/**
 * Latency of the no-prefetch path: obtain() fetching every key of the order-sign service from a local FHIR
 * server (the test server: Medplum FhirRouter + MemoryRepository over node:http) holding a realistic GIST
 * patient (~90 resources, plus other patients' data).
 *
 *   npm run build && node dist/scripts/measure-fetch.js [runs=300] [warmup=30]
 *
 * Prints median and p95 of obtain() wall time, and of a bare GET of the same URLs (server cost alone), so
 * the data layer's own overhead can be read off.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../src/logger';
import { createPatientDataSource } from '../src/fhir/prefetch';
import { compileTemplates, resolveTemplate } from '../src/fhir/templates';
import type { DataRequest } from '../src/fhir/types';
import { forPatient, gistPatientResources, startFhirServer } from '../test/helpers/fhir-server';
import { LOINC, daysAgo, gistCondition, lab } from '../test/helpers/fhir-builders';

function findHooksFile(): string {
  const candidates = [path.resolve(__dirname, '..', 'hooks'), path.resolve(__dirname, '..', '..', 'hooks'), path.resolve('hooks')];
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'imatinib-order-sign.json')));
  if (!dir) throw new Error('hooks/imatinib-order-sign.json not found');
  return path.join(dir, 'imatinib-order-sign.json');
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

function summary(name: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  return `${name}: n=${s.length} median=${percentile(s, 50).toFixed(1)} ms p95=${percentile(s, 95).toFixed(1)} ms max=${(s[s.length - 1] ?? NaN).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 300);
  const warmup = Number(process.argv[3] ?? 30);
  const service = JSON.parse(fs.readFileSync(findHooksFile(), 'utf8')) as { prefetch: Record<string, string> };
  const templates = compileTemplates(service.prefetch);

  const fhir = await startFhirServer();
  const patientId = 'gist-bench';
  const resources = gistPatientResources(patientId);
  const others = Array.from({ length: 20 }, (_v, i) => forPatient([gistCondition(), lab(LOINC.anc, 2, '10*9/L', daysAgo(i))], `other-${i}`)).flat();
  await fhir.load([...resources, ...others]);

  const logger = createLogger('error', { silent: true });
  const dataSource = createPatientDataSource(
    { allowedServers: ['http://127.0.0.1'], requestTimeoutMs: 1500, budgetMs: 2000, maxPages: 5, maxResponseBytes: 10 * 1024 * 1024, onPrefetchOperationOutcome: 'fetch' },
    { logger },
  );
  const request: DataRequest = {
    context: { patientId, userId: 'Practitioner/dr-1' },
    fhirServer: fhir.baseUrl,
    fhirAuthorization: { access_token: 'bench-token', token_type: 'Bearer' },
  };
  const urls = templates.entries.map((t) => {
    const r = resolveTemplate(t, request.context);
    if (!r.ok) throw new Error(r.reason);
    return `${fhir.baseUrl}/${r.url}`;
  });

  const obtainMs: number[] = [];
  const bareMs: number[] = [];
  let count = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const data = await dataSource.session(request).obtain(templates);
    const t1 = performance.now();
    await Promise.all(urls.map((u) => fetch(u, { headers: { Accept: 'application/fhir+json', Authorization: 'Bearer bench-token' } }).then((r) => r.json())));
    const t2 = performance.now();
    if (i >= warmup) {
      obtainMs.push(t1 - t0);
      bareMs.push(t2 - t1);
    }
    count = data.resources.length;
    fhir.requests.length = 0;
  }
  await fhir.close();

  console.log(`no-prefetch obtain(): ${templates.entries.length} keys fetched in parallel, ${count} resources per call, ${runs} runs after ${warmup} warm-up`);
  console.log(summary('obtain()                 ', obtainMs));
  console.log(summary('bare parallel GETs (same)', bareMs));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
