/**
 * The Prometheus listener: a plain node:http server, separate from the CDS Hooks app, bound to
 * `metrics.host`:`metrics.port` (loopback by default) and answering only `GET /metrics` (HEAD too) in the
 * Prometheus text format. 404 for any other path, 405 for any other method on /metrics.
 *
 * Where the numbers come from:
 * - one process (no cluster): `{ kind: 'process', registry }`, the registry the process's Metrics write to;
 * - a cluster: the primary runs the listener with `{ kind: 'cluster' }` and answers with prom-client's
 *   `AggregatorRegistry.clusterMetrics()` (each worker's global registry over cluster IPC; counters and
 *   histograms summed). Each worker calls `workerMetrics()` once, early in start-up, which registers the
 *   metrics in the global registry and installs prom-client's IPC responder; workers never listen themselves.
 *
 * A scrape never hangs: prom-client gives up on silent workers after a fixed 5 s (lib/cluster.js, not
 * configurable in prom-client 15), and the listener bounds every scrape by `scrapeTimeoutMs` itself (default
 * 5 s); a failed or timed-out scrape answers 503. Concurrent scrapes share one collection, so a burst of
 * requests costs the workers one IPC round. Nothing from the request is logged or echoed, and the metrics
 * hold no request bodies, tokens or patient data (label values are bounded, see ./prometheus.ts).
 */
import cluster from 'node:cluster';
import http from 'node:http';
import { AggregatorRegistry, register, type Registry } from 'prom-client';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import { createPrometheusMetrics, type PrometheusMetricsOptions } from './prometheus';
import type { Metrics } from './types';

export type MetricsSource = { kind: 'process'; registry: Registry } | { kind: 'cluster' };

export interface MetricsListener {
  /** The port actually bound (useful with metrics.port 0). */
  readonly port: number;
  readonly host: string;
  /** Stop listening and drop open connections; idempotent. */
  close(): Promise<void>;
}

export interface MetricsListenerOptions {
  /** Longest a scrape may take before it is answered 503 (default 5000 ms, prom-client's own cluster timeout). */
  scrapeTimeoutMs?: number;
}

export const DEFAULT_SCRAPE_TIMEOUT_MS = 5000;

let workerSide: { metrics: Metrics; registry: Registry } | undefined;

/**
 * This process's Metrics in prom-client's global registry, with the default process metrics; in a cluster
 * worker it also installs prom-client's responder to the primary's aggregation requests. Memoized: every
 * call returns the first result (the options of later calls are ignored). Also the right choice for a single
 * process: pass the returned registry to `startMetricsListener` as `{ kind: 'process', registry }`.
 */
export function workerMetrics(options: PrometheusMetricsOptions = {}): { metrics: Metrics; registry: Registry } {
  if (workerSide) return workerSide;
  const created = createPrometheusMetrics(register, options);
  // prom-client only answers the primary's GET_METRICS_REQ once an AggregatorRegistry has been constructed
  // in the worker (its constructor adds the process 'message' listener); it reads the global registry.
  if (cluster.isWorker) new AggregatorRegistry();
  workerSide = created;
  return created;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`metrics scrape timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Start the listener on `cfg.host`:`cfg.port`; resolves once it is bound, or with undefined when
 * `cfg.port` is absent (metrics off). Rejects when the port cannot be bound, and when called in a cluster
 * worker (a worker's listener would share the port through the primary and answer with one worker's numbers).
 */
export async function startMetricsListener(
  cfg: AppConfig['metrics'],
  source: MetricsSource,
  logger: Logger,
  options: MetricsListenerOptions = {},
): Promise<MetricsListener | undefined> {
  if (cfg.port === undefined) return undefined;
  if (cluster.isWorker) throw new Error('the metrics listener runs in the cluster primary (or a single process), not in a worker');
  const timeoutMs = options.scrapeTimeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS;

  let collect: () => Promise<string>;
  let contentType: string;
  if (source.kind === 'cluster') {
    const aggregator = new AggregatorRegistry();
    collect = () => aggregator.clusterMetrics();
    contentType = aggregator.contentType;
  } else {
    const registry = source.registry;
    collect = () => registry.metrics();
    contentType = registry.contentType;
  }

  let inflight: Promise<string> | undefined;
  const scrape = (): Promise<string> => {
    inflight ??= withTimeout(Promise.resolve().then(collect), timeoutMs).finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const plain = (res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    req.resume(); // never read a body
    const pathname = (req.url ?? '').split('?', 1)[0];
    if (pathname !== '/metrics') return plain(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
    scrape().then(
      (body) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
        res.end(body);
      },
      (err: unknown) => {
        logger.warn('metrics scrape failed', { aggregation: source.kind, reason: err instanceof Error ? err.message : String(err) });
        plain(res, 503, 'metrics unavailable\n');
      },
    );
  });
  server.requestTimeout = timeoutMs + 5000;
  server.headersTimeout = 5000;
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error('metrics listener error', { reason: err.message }));

  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (cfg.port ?? 0);
  logger.info('metrics listening', { url: `http://${urlHost(cfg.host)}:${port}/metrics`, aggregation: source.kind });

  let closing: Promise<void> | undefined;
  return {
    port,
    host: cfg.host,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
