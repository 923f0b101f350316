import express from 'express';
import request from 'supertest';
import { isUnsafeKey, safeJsonParse, safeJsonReviver } from '../../../src/hardening';

const hostile = '{"a":1,"__proto__":{"polluted":true},"nested":{"constructor":{"prototype":{"polluted":true}},"ok":[{"__proto__":{"x":1},"keep":2}]}}';

afterEach(() => {
  // If a test ever polluted the prototype, clean up so other tests are not affected.
  delete (Object.prototype as Record<string, unknown>).polluted;
});

it('drops __proto__, constructor and prototype keys at every level', () => {
  const v = safeJsonParse(hostile) as Record<string, unknown>;
  expect(v).toEqual({ a: 1, nested: { ok: [{ keep: 2 }] } });
  expect(Object.prototype.hasOwnProperty.call(v, '__proto__')).toBe(false);
});

it('leaves nothing that pollutes Object.prototype when merged into another object', () => {
  const v = safeJsonParse(hostile) as Record<string, unknown>;
  const merged: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) merged[k] = val;
  Object.assign({}, v);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  // Plain JSON.parse would have kept the key, which a naive merge turns into a prototype change:
  const plain = JSON.parse(hostile) as Record<string, unknown>;
  expect(Object.prototype.hasOwnProperty.call(plain, '__proto__')).toBe(true);
});

it('keeps ordinary data intact, including keys that merely contain the words', () => {
  expect(safeJsonParse('{"proto":1,"constructorName":"x","list":[1,"two",null]}')).toEqual({ proto: 1, constructorName: 'x', list: [1, 'two', null] });
});

it('throws SyntaxError on invalid JSON like JSON.parse', () => {
  expect(() => safeJsonParse('{')).toThrow(SyntaxError);
});

it('identifies the unsafe keys', () => {
  expect(['__proto__', 'constructor', 'prototype'].every(isUnsafeKey)).toBe(true);
  expect(isUnsafeKey('resourceType')).toBe(false);
});

it('works as the express.json reviver', async () => {
  const app = express();
  app.use(express.json({ reviver: safeJsonReviver }));
  app.post('/', (req, res) => {
    res.json({ keys: Object.keys(req.body as object), own: Object.prototype.hasOwnProperty.call(req.body, '__proto__') });
  });
  const res = await request(app).post('/').set('content-type', 'application/json').send(hostile);
  expect(res.body).toEqual({ keys: ['a', 'nested'], own: false });
});
