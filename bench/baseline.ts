/**
 * The baseline: the least an Express 5 CDS service can do with the same request. It parses the body with
 * express.json() under the same size limit and answers one fixed card; no auth, validation, data or rules.
 * The ratio service/baseline is the cost of everything the real service adds.
 *
 *   PORT=0 BENCH_BODY_LIMIT=4194304 node dist/bench/baseline.js   (prints "listening <port>" on stdout)
 *
 * The bench always passes the service's own limit (bench/setup.ts serviceBodyLimitBytes); the fallback is the
 * service's default (config/default.json server.bodyLimitBytes, 4 MiB), so a 3,000-resource body (1.9 MB) fits.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';

const FIXED_CARD = {
  cards: [
    {
      uuid: '5f1d7a4e-9c3b-4d8e-a1f2-6b7c8d9e0a1b',
      summary: 'Imatinib 800 mg/day: confirm KIT exon 9 indication',
      indicator: 'info',
      detail: 'Baseline response: a fixed card of about the size the service sends.',
      source: { label: 'imatinib-cds baseline', topic: { system: 'urn:imatinib-cds:rules', code: 'baseline' } },
    },
  ],
};

export function createBaselineApp(bodyLimitBytes: number): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.post('/cds-services/:id', express.json({ limit: bodyLimitBytes, type: ['application/json', 'application/*+json'] }), (req, res) => {
    if (typeof req.body !== 'object' || req.body === null) {
      res.status(400).json({ error: 'body must be a JSON object' });
      return;
    }
    res.json(FIXED_CARD);
  });
  return app;
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 0);
  const limit = Number(process.env.BENCH_BODY_LIMIT ?? 4 * 1024 * 1024);
  const server = createBaselineApp(limit).listen(port, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  server.keepAliveTimeout = 5000;
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
