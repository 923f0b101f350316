import { checkJsonLimits, formatJsonPath } from '../../../src/hardening';

const limits = { maxJsonDepth: 4, maxStringLength: 10, maxArrayLength: 3 };

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

it('accepts a value within every limit', () => {
  expect(checkJsonLimits({ a: [1, 'short', { b: null }], c: true }, limits)).toBeUndefined();
  expect(checkJsonLimits('x', limits)).toBeUndefined();
  expect(checkJsonLimits(nested(4), limits)).toBeUndefined();
});

it('reports nesting deeper than maxJsonDepth with the path of the container that goes too deep', () => {
  expect(checkJsonLimits(nested(5), limits)).toEqual({ kind: 'depth', limit: 4, path: [0, 0, 0, 0] });
  expect(checkJsonLimits({ a: { b: { c: { d: {} } } } }, limits)).toEqual({ kind: 'depth', limit: 4, path: ['a', 'b', 'c', 'd'] });
});

it('reports a string longer than maxStringLength', () => {
  expect(checkJsonLimits({ context: { x: ['ok', 'x'.repeat(11)] } }, limits)).toEqual({ kind: 'string', limit: 10, path: ['context', 'x', 1] });
});

it('reports an object key longer than maxStringLength', () => {
  expect(checkJsonLimits({ a: { ['k'.repeat(11)]: 1 } }, limits)).toMatchObject({ kind: 'string', path: ['a', 'k'.repeat(11)] });
});

it('reports an array longer than maxArrayLength', () => {
  expect(checkJsonLimits({ entry: [1, 2, 3, 4] }, limits)).toEqual({ kind: 'array', limit: 3, path: ['entry'] });
});

it('reports the first violation in document order', () => {
  const v = { first: 'x'.repeat(11), second: [1, 2, 3, 4] };
  expect(checkJsonLimits(v, limits)?.path).toEqual(['first']);
  expect(checkJsonLimits([[1, 2, 3, 4], 'x'.repeat(11)], limits)?.path).toEqual([0]);
});

it('checks a hostile 200 000-deep value without overflowing the stack', () => {
  const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown;
  expect(checkJsonLimits(deep, { ...limits, maxJsonDepth: 64 })).toMatchObject({ kind: 'depth', limit: 64 });
});

it('formats paths for error messages', () => {
  expect(formatJsonPath(['context', 'draftOrders', 'entry', 3, 'resource'])).toBe('context.draftOrders.entry[3].resource');
  expect(formatJsonPath([0, 'a'])).toBe('[0].a');
  expect(formatJsonPath([])).toBe('(root)');
});

it('reports a too-long key after a violation in an earlier sibling', () => {
  expect(checkJsonLimits({ a: [1, 2, 3, 4], ['k'.repeat(11)]: 1 }, limits)).toMatchObject({ kind: 'array', path: ['a'] });
});

describe('unsafe keys', () => {
  it('removes __proto__, constructor and prototype keys in place at any depth, keeping everything else', () => {
    const value = JSON.parse('{"a":{"__proto__":{"polluted":true},"b":[{"constructor":{"prototype":1},"c":2}]},"prototype":3}') as Record<string, unknown>;
    expect(checkJsonLimits(value, { maxJsonDepth: 64, maxStringLength: 1000, maxArrayLength: 1000 })).toBeUndefined();
    expect(JSON.stringify(value)).toBe('{"a":{"b":[{"c":2}]}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
