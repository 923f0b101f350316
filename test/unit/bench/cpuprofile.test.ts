import { areaOf, moduleOf, summariseProfile, type CpuProfile } from '../../../bench/cpuprofile';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });

describe('bench CPU profile summary', () => {
  it('names the module of a frame: package, scoped package, node internal, service source', () => {
    expect(moduleOf(frame('parse', 'file:///work/main/node_modules/body-parser/lib/types/json.js'))).toBe('body-parser');
    expect(moduleOf(frame('x', 'file:///w/node_modules/@lhncbc/ucum-lhc/source/ucumLhcUtils.js'))).toBe('@lhncbc/ucum-lhc');
    expect(moduleOf(frame('verify', 'node:internal/crypto/sig'))).toBe('node:internal/crypto/sig');
    expect(moduleOf(frame('deriveFacts', 'file:///work/main/dist/src/clinical/facts/index.js'))).toBe('src/clinical/facts/index');
    expect(moduleOf(frame('(garbage collector)', ''))).toBe('(garbage collector)');
  });

  it('groups modules into the areas of the report', () => {
    expect(areaOf('body-parser', 'parse')).toMatch(/^JSON parse/);
    expect(areaOf('jsonwebtoken', 'verify')).toMatch(/^JWT verify/);
    expect(areaOf('src/clinical/rules/genotype', 'evaluate')).toBe('rules');
    expect(areaOf('better-sqlite3', 'run')).toBe('SQLite (store)');
    expect(areaOf('logform', 'transform')).toBe('logging (winston)');
    expect(areaOf('(native)', 'writev')).toBe('node HTTP/net/streams');
  });

  it('attributes each sample the time until the next one and leaves idle out of the busy share', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('parse', 'file:///x/node_modules/body-parser/lib/types/json.js') },
        { id: 4, callFrame: frame('deriveFacts', 'file:///x/dist/src/clinical/facts/index.js') },
      ],
      startTime: 0,
      endTime: 4000,
      samples: [3, 3, 4, 2, 3],
      timeDeltas: [0, 1000, 1000, 3000, 500],
    };
    const s = summariseProfile(profile);
    expect(s.totalMs).toBe(5.5);
    expect(s.busyMs).toBe(5);
    expect(s.byArea.map((r) => [r.name, r.selfMs])).toEqual([
      ['facts', 3],
      ['JSON parse (express.json: JSON.parse + reviver)', 2],
    ]);
  });
});

describe('bench CPU profile areas of builtins', () => {
  it('counts a native builtin in its caller’s area', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2] },
        { id: 2, callFrame: frame('_write', 'node:internal/fs/sync_write_stream'), children: [3] },
        { id: 3, callFrame: frame('writeSync', 'node:fs'), children: [4] },
        { id: 4, callFrame: frame('writeBuffer', '') },
      ],
      startTime: 0,
      endTime: 2000,
      samples: [4, 4],
      timeDeltas: [0, 1000, 1000],
    };
    expect(summariseProfile(profile).byArea).toEqual([{ name: 'logging (winston)', selfMs: 2, pct: 100 }]);
  });
});
