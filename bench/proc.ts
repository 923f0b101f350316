/**
 * Linux /proc readings for the processes under test: CPU time (utime + stime), peak and current RSS, and the
 * process tree (a cluster primary and its workers). Parsing is pure so it can be unit-tested with captured text.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** utime and stime (fields 14 and 15 of /proc/<pid>/stat), in clock ticks. */
export interface CpuTicks {
  utime: number;
  stime: number;
}

/**
 * Parse /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself contain spaces or
 * parentheses, so the fields are counted from the last ")".
 */
export function parseStat(text: string): CpuTicks {
  const close = text.lastIndexOf(')');
  if (close === -1) throw new Error('unexpected /proc/<pid>/stat format');
  // After ")": field 3 (state) is index 0, so field n is index n - 3.
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unexpected /proc/<pid>/stat format');
  return { utime, stime };
}

/** A "Vm…:  1234 kB" line of /proc/<pid>/status, in kB (undefined when absent). */
export function parseStatusKb(text: string, key: 'VmHWM' | 'VmRSS'): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Child pids listed in /proc/<pid>/task/<tid>/children files (space separated). */
export function parseChildren(texts: string[]): number[] {
  const out = new Set<number>();
  for (const t of texts) for (const s of t.trim().split(/\s+/)) if (/^\d+$/.test(s)) out.add(Number(s));
  return [...out];
}

let clockTicks: number | undefined;
/** Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux we know of). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export function readCpuTicks(pid: number): CpuTicks | undefined {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readStatusKb(pid: number, key: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    return parseStatusKb(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), key);
  } catch {
    return undefined;
  }
}

/** Direct children of `pid` (cluster workers of a primary). */
export function childPids(pid: number): number[] {
  try {
    const dir = `/proc/${pid}/task`;
    const texts = fs.readdirSync(dir).map((tid) => {
      try {
        return fs.readFileSync(`${dir}/${tid}/children`, 'utf8');
      } catch {
        return '';
      }
    });
    return parseChildren(texts);
  } catch {
    return [];
  }
}

/** The process and its direct children (a cluster primary and its workers). */
export function processTree(pid: number): number[] {
  return [pid, ...childPids(pid)];
}

/** Reset the peak-RSS counter (VmHWM) of a process we own: `echo 5 > /proc/<pid>/clear_refs`. */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU time of each pid, in ms. */
export function cpuMsByPid(pids: number[]): Map<number, number> {
  const tick = 1000 / clkTck();
  const out = new Map<number, number>();
  for (const pid of pids) {
    const t = readCpuTicks(pid);
    if (t) out.set(pid, (t.utime + t.stime) * tick);
  }
  return out;
}

/**
 * CPU ms spent by the processes between two readings. A pid present only at the end (a worker started in
 * between) counts from zero; one that vanished counts up to its last reading.
 */
export function cpuDeltaMs(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, end] of after) total += end - (before.get(pid) ?? 0);
  return total;
}

export interface MemoryReading {
  /** Sum over the processes of VmHWM (peak since start or since the last resetPeakRss), kB. */
  peakKb: number;
  /** Sum of current VmRSS, kB. */
  rssKb: number;
}

export function readMemory(pids: number[]): MemoryReading {
  let peakKb = 0;
  let rssKb = 0;
  for (const pid of pids) {
    peakKb += readStatusKb(pid, 'VmHWM') ?? 0;
    rssKb += readStatusKb(pid, 'VmRSS') ?? 0;
  }
  return { peakKb, rssKb };
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  node: string;
  platform: string;
  memTotalMb?: number;
}

export function parseCpuModel(cpuinfo: string): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return m?.[1]?.trim() ?? 'unknown';
}

export function machineInfo(cores: number): MachineInfo {
  let cpuModel = 'unknown';
  let memTotalMb: number | undefined;
  try {
    cpuModel = parseCpuModel(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    /* not Linux */
  }
  try {
    const m = /^MemTotal:\s+(\d+)\s+kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (m) memTotalMb = Math.round(Number(m[1]) / 1024);
  } catch {
    /* not Linux */
  }
  return { cpuModel, cores, node: process.version, platform: `${process.platform} ${process.arch}`, memTotalMb };
}

/** Busy and total clock ticks of each CPU ("cpuN" lines of /proc/stat; busy = total − idle − iowait). */
export function parseProcStat(text: string): Map<number, { busy: number; total: number }> {
  const out = new Map<number, { busy: number; total: number }>();
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.+)$/.exec(line);
    if (!m) continue;
    const v = (m[2] as string).trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
    const total = v.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    out.set(Number(m[1]), { busy: total - idle, total });
  }
  return out;
}

export function readProcStat(): Map<number, { busy: number; total: number }> {
  try {
    return parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    return new Map();
  }
}

/** "0", "0,1", "0-3" → [0], [0, 1], [0, 1, 2, 3]. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isFinite(a)) continue;
    for (let i = a; i <= (b !== undefined && Number.isFinite(b) ? b : a); i++) out.push(i);
  }
  return out;
}

/** Busy ms of the given CPUs between two /proc/stat readings. */
export function cpuBusyDeltaMs(before: Map<number, { busy: number }>, after: Map<number, { busy: number }>, cpus: number[]): number {
  let ticks = 0;
  for (const c of cpus) ticks += (after.get(c)?.busy ?? 0) - (before.get(c)?.busy ?? 0);
  return (ticks * 1000) / clkTck();
}

/** pid, command name (field 2, without its parentheses) and parent pid (field 4) of /proc/<pid>/stat. */
export interface ProcIdentity {
  pid: number;
  comm: string;
  ppid: number;
}

export function parseStatIdentity(text: string): ProcIdentity {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open === -1 || close < open) throw new Error('unexpected /proc/<pid>/stat format');
  const pid = Number(text.slice(0, open).trim());
  const ppid = Number(text.slice(close + 2).trim().split(/\s+/)[1]);
  if (!Number.isInteger(pid) || !Number.isInteger(ppid)) throw new Error('unexpected /proc/<pid>/stat format');
  return { pid, comm: text.slice(open + 1, close), ppid };
}

/** Titles of PostgreSQL's own processes ("postgres: 15/main: walwriter", "postgres: checkpointer" …). */
const PG_AUXILIARY =
  /:\s(checkpointer|background writer|walwriter|wal writer|autovacuum launcher|autovacuum worker\b.*|logical replication launcher|logical replication (apply |parallel apply |tablesync )?worker\b.*|stats collector|archiver\b.*|walsender\b.*|walreceiver\b.*|startup\b.*|walsummarizer|io worker\b.*)\s*$/;

/**
 * What a child of the postmaster is, from its process title (/proc/<pid>/cmdline, NULs as spaces):
 * "ours" = a client backend connected to `database` ("postgres: 15/main: <user> <database> <host>(<port>) idle"),
 * "auxiliary" = one of the server's own processes (shared by every database), "other" = a backend of another
 * database.
 */
export function postgresProcessKind(title: string, database: string): 'ours' | 'auxiliary' | 'other' {
  const t = title.replace(/\0/g, ' ').trim();
  if (PG_AUXILIARY.test(t)) return 'auxiliary';
  const escaped = database.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`:\\s\\S+ ${escaped} (\\S+\\(\\d+\\)|\\[local\\])`).test(t) ? 'ours' : 'other';
}

export interface ProcEntry extends ProcIdentity {
  /** /proc/<pid>/cmdline with NULs as spaces, trimmed. */
  cmdline: string;
}

/** Every process of the machine (pid, comm, ppid, cmdline); processes that vanish while listed are skipped. */
export function listProcesses(): ProcEntry[] {
  const out: ProcEntry[] = [];
  let dirs: string[];
  try {
    dirs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const d of dirs) {
    try {
      const id = parseStatIdentity(fs.readFileSync(`/proc/${d}/stat`, 'utf8'));
      const cmdline = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ ...id, cmdline });
    } catch {
      /* exited meanwhile, or not readable */
    }
  }
  return out;
}

export interface StateServerPids {
  /** The postmaster serving `database` (the parent of its backends; else the only one); undefined when unknown. */
  postmaster?: number;
  /** Client backends connected to `database`. */
  backends: number[];
  /** That postmaster and its own processes (checkpointer, walwriter …), shared with every other database on it. */
  auxiliary: number[];
  /** redis-server processes listening on `redisPort` (by their title "redis-server host:port"). */
  redis: number[];
}

/**
 * PostgreSQL and Redis processes serving this run, from a process list (pure, for tests): the backends of
 * `database` identify their postmaster (PostgreSQL backends are its children), whose auxiliary children are
 * added; Redis is the redis-server whose title ends in ":<redisPort>" (the only one, when none names a port).
 */
export function findStateServers(procs: ProcEntry[], database: string, redisPort: number): StateServerPids {
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const backends = procs.filter((p) => p.comm === 'postgres' && byPid.get(p.ppid)?.comm === 'postgres' && postgresProcessKind(p.cmdline, database) === 'ours');
  // Backends are the postmaster's children; with none connected yet, the only postmaster there is.
  const postmasters = procs.filter((p) => p.comm === 'postgres' && byPid.get(p.ppid)?.comm !== 'postgres');
  const postmaster = backends[0]?.ppid ?? (postmasters.length === 1 ? postmasters[0]?.pid : undefined);
  const auxiliary =
    postmaster === undefined ? [] : [postmaster, ...procs.filter((p) => p.ppid === postmaster && postgresProcessKind(p.cmdline, database) === 'auxiliary').map((p) => p.pid)];
  const servers = procs.filter((p) => p.comm === 'redis-server');
  const onPort = servers.filter((p) => new RegExp(`:${redisPort}(\\s|$)`).test(p.cmdline));
  const redis = (onPort.length ? onPort : servers.length === 1 ? servers : []).map((p) => p.pid);
  return { postmaster, backends: backends.map((p) => p.pid), auxiliary, redis };
}
