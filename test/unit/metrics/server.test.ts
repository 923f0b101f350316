/** The metrics listener in one process: real HTTP on 127.0.0.1, an ephemeral port. */
import { PassThrough } from 'node:stream';
import { Gauge, Registry } from 'prom-client';
import { createLogger, type Logger } from '../../../src/logger';
import { createPrometheusMetrics } from '../../../src/metrics/prometheus';
import { startMetricsListener, workerMetrics, type MetricsListener } from '../../../src/metrics/server';
import { request, sample } from '../../fixtures/metrics/http';

const LOCAL = { host: '127.0.0.1', port: 0 };

function capturingLogger(): { logger: Logger; output: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (c: Buffer) => (out += c.toString()));
  return { logger: createLogger('debug', { stream }), output: () => out };
}

const quiet = createLogger('error', { silent: true });

describe('metrics listener', () => {
  const open: MetricsListener[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
  });

  async function start(registry: Registry, logger: Logger = quiet, scrapeTimeoutMs?: number): Promise<MetricsListener> {
    const listener = await startMetricsListener(LOCAL, { kind: 'process', registry }, logger, scrapeTimeoutMs === undefined ? {} : { scrapeTimeoutMs });
    if (!listener) throw new Error('no listener');
    open.push(listener);
    return listener;
  }

  it('is off when metrics.port is absent', async () => {
    await expect(startMetricsListener({ host: '127.0.0.1' }, { kind: 'process', registry: new Registry() }, quiet)).resolves.toBeUndefined();
  });

  it('answers GET /metrics with the registry in the Prometheus text format, read afresh on each scrape', async () => {
    const { metrics, registry } = createPrometheusMetrics(new Registry());
    const listener = await start(registry);
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.host).toBe('127.0.0.1');
    metrics.authRejected('expired');
    const first = await request(listener.port, '/metrics');
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe(registry.contentType);
    expect(first.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(first.body).toMatch(/^# TYPE imatinib_cds_auth_rejections_total counter$/m);
    expect(first.body).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
    expect(sample(first.body, 'imatinib_cds_auth_rejections_total{reason="expired"}')).toBe(1);

    metrics.authRejected('expired');
    const second = await request(listener.port, '/metrics?format=ignored');
    expect(second.status).toBe(200);
    expect(sample(second.body, 'imatinib_cds_auth_rejections_total{reason="expired"}')).toBe(2);

    const head = await request(listener.port, '/metrics', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers 404 for any other path and 405 for any other method on /metrics', async () => {
    const listener = await start(createPrometheusMetrics(new Registry(), { defaultMetrics: false }).registry);
    for (const p of ['/', '/metrics/', '/metricsx', '/cds-services', '/healthz']) {
      const reply = await request(listener.port, p);
      expect({ path: p, status: reply.status }).toEqual({ path: p, status: 404 });
      expect(reply.body).not.toMatch(/imatinib_cds_/);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const reply = await request(listener.port, '/metrics', method, method === 'POST' || method === 'PUT' ? '{"token":"secret"}' : undefined);
      expect({ method, status: reply.status, allow: reply.headers.allow }).toEqual({ method, status: 405, allow: 'GET, HEAD' });
      expect(reply.body).not.toMatch(/imatinib_cds_|secret/);
    }
  });

  it('answers 503 when collecting fails or takes too long, logging neither the request nor its query', async () => {
    const failing = new Registry();
    new Gauge({ name: 'broken', help: 'throws on collect', registers: [failing], collect: () => Promise.reject(new Error('collector broke')) });
    const { logger, output } = capturingLogger();
    const broken = await start(failing, logger);
    const reply = await request(broken.port, '/metrics?access_token=secret-token');
    expect(reply.status).toBe(503);
    expect(reply.body).toBe('metrics unavailable\n');
    expect(output()).toMatch(/"message":"metrics scrape failed"/);
    expect(output()).toMatch(/collector broke/);
    expect(output()).not.toMatch(/secret-token|access_token/);

    const hanging = new Registry();
    new Gauge({ name: 'stuck', help: 'never answers', registers: [hanging], collect: () => new Promise<void>(() => undefined) });
    const stuck = await start(hanging, quiet, 300);
    expect((await request(stuck.port, '/metrics')).status).toBe(503);
    // A later scrape tries again rather than reusing the failed one.
    expect((await request(stuck.port, '/metrics')).status).toBe(503);
  });

  it('rejects when the port is taken, and closes (idempotently) so the port refuses connections', async () => {
    const registry = createPrometheusMetrics(new Registry(), { defaultMetrics: false }).registry;
    const first = await start(registry);
    await expect(startMetricsListener({ host: '127.0.0.1', port: first.port }, { kind: 'process', registry }, quiet)).rejects.toThrow(/EADDRINUSE/);
    await first.close();
    await first.close();
    await expect(request(first.port, '/metrics')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('logs where it listens, without anything from requests', async () => {
    const { logger, output } = capturingLogger();
    const listener = await start(createPrometheusMetrics(new Registry(), { defaultMetrics: false }).registry, logger);
    await request(listener.port, '/metrics?patient=123');
    await request(listener.port, '/secret-path');
    expect(output()).toContain(`"url":"http://127.0.0.1:${listener.port}/metrics"`);
    expect(output()).not.toMatch(/patient=123|secret-path/);
  });
});

describe('workerMetrics (not in a cluster)', () => {
  it('registers in the global registry once and returns the same Metrics on every call', async () => {
    const first = workerMetrics();
    const second = workerMetrics({ serviceIds: ['ignored'] });
    expect(second).toBe(first);
    const { register } = await import('prom-client');
    expect(first.registry).toBe(register);
    first.metrics.stateError('outbox');
    expect(sample(await register.metrics(), 'imatinib_cds_state_errors_total{component="outbox"}')).toBe(1);
    expect(await register.metrics()).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
  });
});
