/**
 * Summarise a V8 .cpuprofile (node --cpu-prof): self time per function, per module (package, node internal
 * module, or service source file) and per area (JSON parse, JWT verify, express, facts, rules, SQLite,
 * logging …). Pure: unit-tested with a hand-made profile.
 */

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: "express", "@medplum/core", "node:internal/crypto/sig", "src/auth/verifier" … */
export function moduleOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.replace(/\.js$/, '');
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const src = /\/dist\/((?:src|bench|scripts)\/.+?)\.js$/.exec(url) ?? /\/((?:src|bench|scripts)\/.+?)\.[jt]s$/.exec(url);
  if (src?.[1]) return src[1];
  return url.replace(/^file:\/\//, '');
}

/** Areas the lead asked about, from a module (and the function name for builtins). */
export function areaOf(module: string, functionName: string): string {
  if (module === '(garbage collector)') return 'GC';
  if (module === '(idle)') return 'idle';
  if (module === '(program)' || module === '(root)') return 'V8/native (program)';
  if (module === '(native)') {
    if (functionName === 'parse' || functionName === 'stringify') return `JSON ${functionName} (builtin)`;
    if (/^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString|readStart|readStop|shutdown)$/.test(functionName)) return 'node HTTP/net/streams';
    if (/^(runMicrotasks|enqueueMicrotask)$/.test(functionName)) return 'async plumbing (promises, nextTick, async_hooks)';
    return 'native builtins';
  }
  if (/^(jsonwebtoken|jws|jwa|jwks-rsa|ecdsa-sig-formatter|safe-buffer|buffer-equal-constant-time|semver|lodash\.\w+)$/.test(module)) return 'JWT verify (jsonwebtoken)';
  if (module.startsWith('node:internal/crypto') || module === 'node:crypto') return 'crypto (node)';
  if (module.startsWith('src/auth')) return 'JWT verify (src/auth)';
  if (module === 'body-parser' && functionName === 'parse') return 'JSON parse (express.json: JSON.parse + reviver)';
  if (/^(body-parser|raw-body|iconv-lite|content-type|bytes|type-is|media-typer|mime-types|mime-db|unpipe)$/.test(module)) return 'body reading (body-parser, raw-body)';
  if (/^(express|router|path-to-regexp|finalhandler|on-finished|ee-first|send|depd|debug|ms|qs|parseurl|encodeurl|escape-html|statuses|vary|accepts|negotiator|content-disposition|cookie|cookie-signature|fresh|range-parser|proxy-addr|forwarded|ipaddr\.js|merge-descriptors|serve-static|setprototypeof|http-errors|inherits|toidentifier|once|wrappy|is-promise|call-bind-apply-helpers|get-intrinsic|es-errors|function-bind|hasown|side-channel\S*|object-inspect|dunder-proto|math-intrinsics|gopd|es-define-property|es-object-atoms|get-proto|has-symbols)$/.test(module)) return 'express';
  if (module === 'helmet') return 'security headers (helmet)';
  if (/^(winston|winston-transport|logform|triple-beam|readable-stream|safe-stable-stringify|fecha|@colors\/colors|colorspace|color|color-string|color-convert|color-name|simple-swizzle|is-arrayish|text-hex|kuler|one-time|fn\.name|enabled|stack-trace|async|@dabh\/diagnostics|@so-ric\/colorspace)$/.test(module) || module === 'src/logger') return 'logging (winston)';
  if (module === 'better-sqlite3' || module.startsWith('src/store')) return 'SQLite (store)';
  if (module === 'zod' || module.startsWith('src/protocol/schemas')) return 'validation (zod)';
  if (module.startsWith('src/clinical/facts')) return 'facts';
  if (module.startsWith('src/clinical/rules')) return 'rules';
  if (module.startsWith('src/clinical/terminology')) return 'terminology';
  if (module === '@lhncbc/ucum-lhc' || module === 'src/clinical/units') return 'units (ucum-lhc)';
  if (module === 'src/clinical/cards') return 'cards';
  if (/^src\/clinical\/(dose|medication|orders)$/.test(module)) return 'orders and dose';
  if (module.startsWith('src/clinical')) return 'clinical (engine, other)';
  if (module.startsWith('src/fhir')) return 'FHIR data (src/fhir)';
  if (module.startsWith('src/hardening')) return 'hardening (JSON limits, reviver, rate limit)';
  if (module.startsWith('src/protocol')) return 'protocol (cards, CORS, errors)';
  if (module.startsWith('src/')) return `service (${module})`;
  if (module.startsWith('node:internal/deps/undici') || module === 'undici') return 'fetch (undici)';
  if (module === 'node:internal/fs/sync_write_stream') return 'logging (winston)';
  if (/^node:(internal\/)?(async_hooks|process\/task_queues|process\/promises)$/.test(module)) return 'async plumbing (promises, nextTick, async_hooks)';
  if (/^node:(internal\/modules|internal\/bootstrap|fs$|internal\/fs|path$|vm$|internal\/vm)/.test(module)) return 'start-up (module loading, fs)';
  if (/^node:(internal\/)?(_?http|net|stream|streams|timers|async_hooks|events|buffer|dns|tcp|internal\/streams)/.test(module) || /^node:(_http_\w+|internal\/http.*)$/.test(module)) return 'node HTTP/net/streams';
  if (module.startsWith('node:')) return 'node (other)';
  return `other (${module})`;
}

export interface Row {
  name: string;
  selfMs: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Non-idle time (total minus "(idle)"). */
  busyMs: number;
  byArea: Row[];
  byModule: Row[];
  byFunction: Row[];
}

function rows(map: Map<string, number>, busy: number, limit: number): Row[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, pct: busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0 }));
}

/** Frames that do work on behalf of their caller: native builtins and node:fs (e.g. a log line to a file). */
function inheritsCallerArea(frame: CallFrame): boolean {
  return (frame.url === '' && !frame.functionName.startsWith('(')) || frame.url === 'node:fs';
}

/**
 * Self time per node: sample i lasts until sample i+1 (timeDeltas[i + 1]), as Chrome DevTools counts it.
 * Native builtins and node:fs count in their caller's area (writev under node:net is HTTP, writeBuffer under
 * the logger's stdout stream is logging).
 */
export function summariseProfile(profile: CpuProfile, limit = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parentOf.set(c, n.id);
  }
  const areaMemo = new Map<number, string>();
  const areaOfNode = (id: number): string => {
    const memo = areaMemo.get(id);
    if (memo !== undefined) return memo;
    const node = byId.get(id) as ProfileNode;
    const parent = parentOf.get(id);
    const parentNode = parent === undefined ? undefined : byId.get(parent);
    const a =
      inheritsCallerArea(node.callFrame) && parent !== undefined && parentNode && parentNode.callFrame.functionName !== '(root)'
        ? areaOfNode(parent)
        : areaOf(moduleOf(node.callFrame), node.callFrame.functionName);
    areaMemo.set(id, a);
    return a;
  };
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  const area = new Map<string, number>();
  const mod = new Map<string, number>();
  const fn = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const m = moduleOf(node.callFrame);
    const a = areaOfNode(id);
    total += us;
    if (a === 'idle') {
      idle += us;
      continue;
    }
    area.set(a, (area.get(a) ?? 0) + us);
    mod.set(m, (mod.get(m) ?? 0) + us);
    const f = `${node.callFrame.functionName || '(anonymous)'} ${m}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    fn.set(f, (fn.get(f) ?? 0) + us);
  }
  const busy = total - idle;
  return { totalMs: total / 1000, busyMs: busy / 1000, byArea: rows(area, busy, 100), byModule: rows(mod, busy, limit), byFunction: rows(fn, busy, limit) };
}
