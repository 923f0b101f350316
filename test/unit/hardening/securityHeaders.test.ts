import express from 'express';
import request from 'supertest';
import { securityHeaders } from '../../../src/hardening';

function get(opts?: Parameters<typeof securityHeaders>[0]) {
  const app = express();
  app.use(securityHeaders(opts));
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  return request(app).get('/');
}

it('forbids every content source and all framing', async () => {
  const res = await get();
  expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
});

it('sets nosniff, no-referrer and no-store, and hides X-Powered-By', async () => {
  const res = await get();
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-powered-by']).toBeUndefined();
});

it('sends no HSTS without an https public URL', async () => {
  expect((await get()).headers['strict-transport-security']).toBeUndefined();
  expect((await get({ publicBaseUrl: 'http://localhost:3000' })).headers['strict-transport-security']).toBeUndefined();
});

it('sends HSTS when the public URL is https', async () => {
  const res = await get({ publicBaseUrl: 'https://cds.example.org' });
  expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
});
