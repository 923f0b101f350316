import { cpuDeltaMs, parseChildren, parseCpuList, parseCpuModel, parseProcStat, parseStat, parseStatusKb } from '../../../bench/proc';

describe('bench /proc parsing', () => {
  it('reads utime and stime from /proc/<pid>/stat, counting fields after the last ")"', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 5000 18446744073709551615';
    expect(parseStat(stat)).toEqual({ utime: 1234, stime: 567 });
  });

  it('rejects text that is not a stat line', () => {
    expect(() => parseStat('garbage')).toThrow('unexpected /proc/<pid>/stat format');
  });

  it('reads VmHWM and VmRSS in kB from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  150344 kB\nVmRSS:\t  140112 kB\nThreads:\t11\n';
    expect(parseStatusKb(status, 'VmHWM')).toBe(150344);
    expect(parseStatusKb(status, 'VmRSS')).toBe(140112);
    expect(parseStatusKb('Name:\tkthread\n', 'VmRSS')).toBeUndefined();
  });

  it('collects cluster workers from the children files of every thread, once each', () => {
    expect(parseChildren(['101 102 ', '', '102\n'])).toEqual([101, 102]);
  });

  it('sums CPU deltas, counting a worker that appeared during the run from zero', () => {
    const before = new Map([[1, 100], [2, 50]]);
    const after = new Map([[1, 160], [2, 90], [3, 25]]);
    expect(cpuDeltaMs(before, after)).toBe(60 + 40 + 25);
  });

  it('takes the CPU model from the first "model name" line', () => {
    expect(parseCpuModel('processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n')).toBe('AMD EPYC 7B13');
    expect(parseCpuModel('')).toBe('unknown');
  });
});

describe('bench /proc/stat', () => {
  it('reads busy and total ticks per CPU, idle and iowait not busy', () => {
    const stat = 'cpu  30 0 10 100 5 0 0 0 0 0\ncpu0 10 0 5 50 5 0 0 0 0 0\ncpu1 20 0 5 50 0 0 1 2 0 0\nintr 1 2 3\n';
    const m = parseProcStat(stat);
    expect(m.get(0)).toEqual({ busy: 15, total: 70 });
    expect(m.get(1)).toEqual({ busy: 28, total: 78 });
    expect(m.size).toBe(2);
  });

  it('expands CPU lists', () => {
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('0,2-4')).toEqual([0, 2, 3, 4]);
  });
});
