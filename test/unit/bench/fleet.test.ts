import { databaseUrlFor, globEscape, newDatabaseName, newKeyPrefix, redactUrl, redisHostPort } from '../../../bench/fleet';
import { mergeLoadResults, splitConnections, type LoadResult } from '../../../bench/load';
import { findStateServers, parseStatIdentity, postgresProcessKind, type ProcEntry } from '../../../bench/proc';
import { fleetComparison, fleetTable, totalCpuMsPerRequest, type Measurement } from '../../../bench/report';
import { parseScenarioList } from '../../../bench/setup';

function measurement(server: string, over: Partial<Measurement> = {}): Measurement {
  return {
    scenario: 'fleet',
    server,
    workers: 1,
    cpus: '0',
    connections: 10,
    durationSec: 10,
    completed: 10000,
    ok: 10000,
    non2xx: 0,
    errors: 0,
    statusCodes: { 200: 10000 },
    rps: 1000,
    latency: { p50: 5, p90: 8, p99: 12, max: 30, mean: 5.5 },
    serverCpuMs: 10000,
    cpuMsPerRequest: 1,
    serverCpuPct: 100,
    otherLoadPct: 0,
    peakRssMb: 150,
    rssMb: 140,
    loadGenCpuPct: 10,
    ...over,
  };
}

function load(over: Partial<LoadResult>): LoadResult {
  return {
    durationSec: 10,
    completed: 0,
    ok: 0,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    statusCodes: {},
    latenciesMs: new Float64Array(0),
    loadGenCpuMs: 0,
    tokensMintedOnDemand: 0,
    tokensFromPool: 0,
    ...over,
  };
}

const proc = (pid: number, comm: string, ppid: number, cmdline: string): ProcEntry => ({ pid, comm, ppid, cmdline });

describe('bench fleet scenario', () => {
  it('parses BENCH_SCENARIOS: numbers, s-prefixed ids, fleet by name, and refuses unknown names', () => {
    expect(parseScenarioList('1,2,3,4')).toEqual({ ids: ['s1', 's2', 's3', 's4'], fleet: false });
    expect(parseScenarioList(' s1 , fleet ')).toEqual({ ids: ['s1'], fleet: true });
    // 5 and 6 are the 1,000-resource scenarios now, not the fleet.
    expect(parseScenarioList('5,s6')).toEqual({ ids: ['s5', 's6'], fleet: false });
    expect(() => parseScenarioList('7')).toThrow('unknown scenario "7"');
    expect(parseScenarioList('FLEET,1,1')).toEqual({ ids: ['s1'], fleet: true });
    expect(() => parseScenarioList('1,flet')).toThrow('unknown scenario "flet"');
    expect(() => parseScenarioList(' , ')).toThrow('no scenario');
  });

  it('splits connections evenly over parallel runs', () => {
    expect(splitConnections(10, 2)).toEqual([5, 5]);
    expect(splitConnections(11, 2)).toEqual([6, 5]);
    expect(splitConnections(1, 2)).toEqual([1, 1]);
    expect(splitConnections(10, 0)).toEqual([]);
  });

  it('merges parallel load runs: counts and latencies summed, the longest wall time, the shared pool counted once', () => {
    const a = load({ durationSec: 10.01, completed: 2, ok: 2, statusCodes: { 200: 2 }, latenciesMs: Float64Array.from([1, 2]), tokensFromPool: 5 });
    const b = load({ durationSec: 10.03, completed: 3, ok: 2, non2xx: 1, errors: 1, statusCodes: { 200: 2, 503: 1 }, latenciesMs: Float64Array.from([3, 4, 5]), tokensFromPool: 4 });
    const m = mergeLoadResults([a, b], 1234);
    expect(m).toMatchObject({ durationSec: 10.03, completed: 5, ok: 4, non2xx: 1, errors: 1, statusCodes: { 200: 4, 503: 1 }, loadGenCpuMs: 1234, tokensFromPool: 5 });
    expect([...m.latenciesMs]).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads pid, command name and parent pid from /proc/<pid>/stat, even with parentheses in the name', () => {
    expect(parseStatIdentity('2197 (postgres) S 2193 2197 2197 0 -1 4194368 41 0 0 0 3 9 0 0 20 0 1 0')).toEqual({ pid: 2197, comm: 'postgres', ppid: 2193 });
    expect(parseStatIdentity('77 (a (b) c) R 1 77 77')).toEqual({ pid: 77, comm: 'a (b) c', ppid: 1 });
    expect(() => parseStatIdentity('nonsense')).toThrow('unexpected');
  });

  it('tells PostgreSQL backends of the run database from auxiliary processes and other databases', () => {
    const db = 'imatinib_bench_20261202013019_3ffa912a';
    expect(postgresProcessKind(`postgres: 15/main: postgres ${db} 127.0.0.1(51234) idle`, db)).toBe('ours');
    expect(postgresProcessKind(`postgres: postgres ${db} [local] INSERT`, db)).toBe('ours');
    expect(postgresProcessKind('postgres: 15/main: postgres test 127.0.0.1(51234) idle', db)).toBe('other');
    expect(postgresProcessKind(`postgres: 15/main: postgres ${db}x 127.0.0.1(51234) idle`, db)).toBe('other');
    for (const aux of ['checkpointer', 'background writer', 'walwriter', 'logical replication launcher', 'autovacuum launcher', `autovacuum worker ${db}`]) {
      expect(postgresProcessKind(`postgres: 15/main: ${aux}        `, db)).toBe('auxiliary');
    }
  });

  it('finds the postmaster through the backends of the run database, and Redis by its port', () => {
    const db = 'imatinib_bench_x';
    const procs = [
      proc(1, 'init', 0, '/sbin/init'),
      proc(100, 'postgres', 1, '/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main'),
      proc(101, 'postgres', 100, 'postgres: 15/main: walwriter'),
      proc(102, 'postgres', 100, `postgres: 15/main: postgres ${db} 127.0.0.1(4000) idle`),
      proc(103, 'postgres', 100, 'postgres: 15/main: postgres other 127.0.0.1(4001) idle'),
      proc(200, 'postgres', 1, '/tmp/private/postgres -D /tmp/private'),
      proc(201, 'postgres', 200, 'postgres: checkpointer'),
      proc(300, 'redis-server', 1, 'redis-server 127.0.0.1:6379'),
      proc(301, 'redis-server', 1, 'redis-server 127.0.0.1:16379'),
    ];
    expect(findStateServers(procs, db, 6379)).toEqual({ postmaster: 100, backends: [102], auxiliary: [100, 101], redis: [300] });
    // No backend connected and two postmasters: PostgreSQL unknown. One redis-server without a port: that one.
    expect(findStateServers(procs.filter((p) => p.pid !== 102), db, 6380)).toEqual({ postmaster: undefined, backends: [], auxiliary: [], redis: [] });
    expect(findStateServers([procs[1] as ProcEntry, procs[2] as ProcEntry, proc(300, 'redis-server', 1, 'redis-server *')], db, 6379)).toEqual({
      postmaster: 100,
      backends: [],
      auxiliary: [100, 101],
      redis: [300],
    });
  });

  it('names throwaway databases and key prefixes safely', () => {
    expect(newDatabaseName(new Date('2026-12-02T01:30:19.372Z'), 'abcd1234')).toBe('imatinib_bench_20261202013019_abcd1234');
    expect(newDatabaseName(new Date())).toMatch(/^imatinib_bench_\d{14}_[0-9a-f]{8}$/);
    const prefix = newKeyPrefix(4242, 'abcd1234');
    expect(prefix).toBe('imatinib-cds-bench:4242:abcd1234:');
    expect(prefix.length).toBeLessThanOrEqual(64);
    expect(globEscape('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
    expect(databaseUrlFor('postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable', 'imatinib_bench_x')).toBe('postgres://postgres@127.0.0.1:5432/imatinib_bench_x?sslmode=disable');
    expect(redactUrl('postgres://u:secret@db:5432/postgres')).toBe('postgres://u:***@db:5432/postgres');
    expect(redisHostPort('redis://127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(redisHostPort('redis://localhost')).toEqual({ host: 'localhost', port: 6379 });
  });

  it('renders the fleet table with the state servers in their own columns and compares the setups', () => {
    const perInstance = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `i${i}`, completed: 5000, cpuMsPerRequest: 1, peakRssMb: 150 }));
    const single = measurement('single instance (SQLite, in-memory jti cache)', { state: { redisMsPerRequest: 0.005, postgresBackendMsPerRequest: 0, postgresAuxiliaryMsPerRequest: 0, machineOtherLoadPct: 0, perInstance: perInstance(1) } });
    const solo = measurement('1 instance (PostgreSQL + Redis)', { cpuMsPerRequest: 1.1, state: { redisMsPerRequest: 0.04, postgresBackendMsPerRequest: 0.13, postgresAuxiliaryMsPerRequest: 0.001, machineOtherLoadPct: 1, perInstance: perInstance(1) } });
    const fleet = measurement('2 instances (PostgreSQL + Redis)', { rps: 500, cpuMsPerRequest: 2, latency: { p50: 10, p90: 16, p99: 24, max: 60, mean: 11 }, state: { redisMsPerRequest: 0.05, postgresBackendMsPerRequest: 0.2, machineOtherLoadPct: 0, perInstance: perInstance(2) } });
    expect(totalCpuMsPerRequest(fleet)).toBeCloseTo(2.25, 6);
    expect(totalCpuMsPerRequest(measurement('x'))).toBe(1);
    const table = fleetTable([single, fleet]).split('\n');
    expect(table[0]).toContain('PostgreSQL backends ms/req');
    expect(table).toHaveLength(4);
    expect(table[3]).toMatch(/^\| 2 instances \(PostgreSQL \+ Redis\)\s+\|\s+2 \|\s+500 \|/);
    // Unknown auxiliary CPU is shown as "–", not 0.
    expect(table[3]).toMatch(/\| +0\.200 \| +– \|/);
    expect(fleetComparison(single, fleet)).toBe('Fleet vs single instance: **0.50× req/s**, p99 2.00×, service CPU/request 2.00×, total CPU/request (service + PostgreSQL + Redis) 2.24×.');
    expect(fleetComparison(single, fleet, solo)).toContain('the state path (1 instance on PostgreSQL + Redis vs the single instance) +266 µs (service +100 µs), the second process on the same CPU (fleet vs 1 instance on PostgreSQL + Redis) +979 µs.');
    expect(fleetComparison(undefined, fleet)).toBeUndefined();
  });
});
