import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { createRateLimiter } from '../../../src/hardening';

function appWith(limiter: RequestHandler, opts: { clientFromHeader?: boolean } = {}) {
  const app = express();
  app.set('trust proxy', true); // lets tests choose the client IP with X-Forwarded-For
  if (opts.clientFromHeader) {
    // Stands in for the auth middleware: a verified client identity.
    app.use((req, res, next) => {
      const iss = req.get('x-test-iss');
      if (iss) res.locals.client = { iss, jti: 'j' };
      next();
    });
  }
  app.use(limiter);
  app.all('/', (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

it('passes everything when disabled', async () => {
  const app = appWith(createRateLimiter({ enabled: false, windowMs: 1000, maxRequestsPerClient: 1 }));
  for (let i = 0; i < 3; i++) expect((await request(app).get('/')).status).toBe(200);
});

it('allows maxRequestsPerClient per window, then answers 429 with Retry-After and an OperationOutcome', async () => {
  const c = clock(1_000_000);
  const app = appWith(createRateLimiter({ enabled: true, windowMs: 60_000, maxRequestsPerClient: 2 }, { now: c.now }));
  expect((await request(app).get('/')).status).toBe(200);
  expect((await request(app).get('/')).status).toBe(200);
  c.advance(15_000);
  const res = await request(app).get('/');
  expect(res.status).toBe(429);
  // Window [960 000, 1 020 000): 5 s left at t = 1 015 000.
  expect(res.headers['retry-after']).toBe('5');
  expect(res.body).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled', diagnostics: 'Too many requests' }] });
});

it('starts a fresh budget in the next window', async () => {
  const c = clock(0);
  const app = appWith(createRateLimiter({ enabled: true, windowMs: 1000, maxRequestsPerClient: 1 }, { now: c.now }));
  expect((await request(app).get('/')).status).toBe(200);
  expect((await request(app).get('/')).status).toBe(429);
  c.advance(1000);
  expect((await request(app).get('/')).status).toBe(200);
});

it('counts by verified client iss, so two clients behind one IP have separate budgets', async () => {
  const c = clock(0);
  const app = appWith(createRateLimiter({ enabled: true, windowMs: 1000, maxRequestsPerClient: 1 }, { now: c.now }), { clientFromHeader: true });
  expect((await request(app).get('/').set('x-test-iss', 'ehr-a')).status).toBe(200);
  expect((await request(app).get('/').set('x-test-iss', 'ehr-b')).status).toBe(200);
  expect((await request(app).get('/').set('x-test-iss', 'ehr-a')).status).toBe(429);
  // One client spread over many IPs is still one client.
  expect((await request(app).get('/').set('x-test-iss', 'ehr-b').set('x-forwarded-for', '10.9.9.9')).status).toBe(429);
});

it('counts by IP when there is no verified client', async () => {
  const c = clock(0);
  const app = appWith(createRateLimiter({ enabled: true, windowMs: 1000, maxRequestsPerClient: 1 }, { now: c.now }));
  expect((await request(app).get('/').set('x-forwarded-for', '10.0.0.1')).status).toBe(200);
  expect((await request(app).get('/').set('x-forwarded-for', '10.0.0.2')).status).toBe(200);
  expect((await request(app).get('/').set('x-forwarded-for', '10.0.0.1')).status).toBe(429);
});

it('keeps at most maxKeys counters, forgetting the oldest', async () => {
  const c = clock(0);
  const app = appWith(createRateLimiter({ enabled: true, windowMs: 1000, maxRequestsPerClient: 1 }, { now: c.now, maxKeys: 2 }));
  const from = (ip: string) => request(app).get('/').set('x-forwarded-for', ip);
  expect((await from('10.0.0.1')).status).toBe(200);
  expect((await from('10.0.0.2')).status).toBe(200);
  expect((await from('10.0.0.3')).status).toBe(200); // evicts 10.0.0.1
  expect((await from('10.0.0.1')).status).toBe(200); // counted afresh, evicts 10.0.0.2
  expect((await from('10.0.0.3')).status).toBe(429); // still tracked
});

it('does not count CORS preflights', async () => {
  const c = clock(0);
  const app = appWith(createRateLimiter({ enabled: true, windowMs: 1000, maxRequestsPerClient: 1 }, { now: c.now }));
  for (let i = 0; i < 3; i++) expect((await request(app).options('/')).status).toBe(200);
  expect((await request(app).get('/')).status).toBe(200);
});
