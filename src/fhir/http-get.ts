/**
 * One bounded GET over node:http / node:https with a pooled keep-alive connection (http-agent.ts): the
 * transport of the FHIR client (client.ts turns its outcomes into results and reasons).
 *
 *  - Time: the call ends at `timeoutMs` (total, not inactivity) or when any of `signals` aborts, whichever
 *    comes first; the request is destroyed with its socket (never returned to the pool).
 *  - Size: a 200 body is read up to `maxBytes`, counted both as received and as decoded (gzip, deflate or
 *    br; so a compression bomb stops at `maxBytes` too); a declared Content-Length above it is refused before
 *    reading. Past the cap the socket is destroyed.
 *  - Other statuses answer at once, their body discarded in the background (the connection is kept when the
 *    body is small and ends soon, else destroyed). Redirects are statuses: never followed.
 *  - A GET that fails with ECONNRESET/EPIPE on a reused connection before any byte of its response (the
 *    server closed the idle connection as the request went out) is sent again, once, on a fresh connection.
 *    No other failure is retried.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { fhirAgents, noteKeepAlive, type FhirAgentPool } from './http-agent';

export interface HttpGetOptions {
  headers: Record<string, string>;
  /** Total time for the call, retry included. */
  timeoutMs: number;
  /** Any of them aborting ends the call. */
  signals: readonly AbortSignal[];
  /** Cap of a 200 body, received and decoded. */
  maxBytes: number;
  pool?: FhirAgentPool;
}

export type HttpGetOutcome =
  /** `body` is the decoded body of a 200 (undefined for another status). */
  | { kind: 'response'; status: number; body?: Buffer }
  | { kind: 'timeout' }
  | { kind: 'aborted' }
  | { kind: 'too-large'; status: number }
  /** `code`: the error code (ECONNREFUSED, ECONNRESET, Z_DATA_ERROR …), if any. */
  | { kind: 'network'; code?: string };

/** The most of a discarded (non-200) body read to keep its connection; more and the connection is closed. */
const DISCARD_MAX_BYTES = 64 * 1024;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A zlib decoder for a Content-Encoding (a list is undone in reverse order); undefined for none/unknown. */
function decoderFor(contentEncoding: string | undefined, firstChunk: Buffer): Transform[] | undefined {
  if (!contentEncoding) return undefined;
  const codings = contentEncoding
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0 || codings.length > 3) return undefined;
  const decoders: Transform[] = [];
  // Decoders are lenient like fetch's: a body truncated at a flush point still decodes.
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  for (const coding of codings.reverse()) {
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(zlib.createGunzip(flush));
    else if (coding === 'deflate') {
      // "deflate" is zlib-wrapped by the standard, raw by some servers (as fetch, accept both).
      const first = decoders.length === 0 ? firstChunk : undefined;
      const wrapped = first === undefined || first.length < 2 || ((first[0] as number) & 0x0f) === 8;
      decoders.push(wrapped ? zlib.createInflate(flush) : zlib.createInflateRaw(flush));
    } else if (coding === 'br') decoders.push(zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }));
    else return undefined; // unknown coding: the body as received (as fetch)
  }
  return decoders;
}

/** Read off and drop a body we do not use; the connection goes back to the pool if it ends in time. */
function discard(res: http.IncomingMessage, req: http.ClientRequest, ms: number): void {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > DISCARD_MAX_BYTES) {
    req.destroy();
    return;
  }
  let bytes = 0;
  const timer = setTimeout(() => req.destroy(), Math.max(1, ms));
  timer.unref();
  const done = () => clearTimeout(timer);
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > DISCARD_MAX_BYTES) {
      done();
      req.destroy();
    }
  });
  res.on('end', done);
  res.on('close', done);
  res.on('error', done);
}

export function httpGet(href: string, o: HttpGetOptions): Promise<HttpGetOutcome> {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return Promise.resolve({ kind: 'network' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.resolve({ kind: 'network', code: 'ERR_INVALID_PROTOCOL' });
  for (const s of o.signals) if (s.aborted) return Promise.resolve({ kind: 'aborted' });
  const pool = o.pool ?? fhirAgents;
  const agent = pool.agentFor(url);
  const transport = url.protocol === 'https:' ? https : http;
  const started = performance.now();
  const options: http.RequestOptions = {
    method: 'GET',
    agent,
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: o.headers,
    // Socket inactivity limit while the call runs (a backstop: the call's own timer counts the total).
    timeout: o.timeoutMs,
  };

  return new Promise<HttpGetOutcome>((resolve) => {
    let settled = false;
    let current: http.ClientRequest | undefined;
    /** Streams of the call to drop when it ends (decoders of a body). */
    let release: (() => void) | undefined;
    const onAbort = () => finish({ kind: 'aborted' });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), o.timeoutMs);

    function finish(outcome: HttpGetOutcome, keepRequest = false): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const s of o.signals) s.removeEventListener('abort', onAbort);
      // Anything but a complete answer ends its connection (never back in the pool half-read).
      if (!keepRequest) current?.destroy();
      release?.();
      resolve(outcome);
    }

    for (const s of o.signals) s.addEventListener('abort', onAbort, { once: true });

    function attempt(retried: boolean): void {
      let responded = false;
      let socket: Socket | undefined;
      let bytesBefore = 0;
      let req: http.ClientRequest;
      try {
        req = transport.request(options);
      } catch {
        // A request that cannot be written (e.g. a control character in a header value): nothing is sent.
        finish({ kind: 'network' });
        return;
      }
      current = req;

      req.on('socket', (s: Socket) => {
        socket = s;
        bytesBefore = s.bytesRead;
        // Node gives a reused socket the call's timeout in place of its idle one; make sure of it.
        if (s.timeout !== o.timeoutMs) s.setTimeout(o.timeoutMs);
      });
      // The socket was idle for the whole per-call timeout (the total timer usually fires first).
      req.on('timeout', () => finish({ kind: 'timeout' }));

      req.on('error', (error) => {
        if (settled || req !== current) return;
        const code = errorCode(error);
        const stale = !retried && !responded && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE') && (socket === undefined || socket.bytesRead === bytesBefore);
        if (stale) {
          void pool.closeIdle(agent).then(() => {
            if (!settled) attempt(true);
          });
          return;
        }
        finish({ kind: 'network', ...(code ? { code } : {}) });
      });

      req.on('response', (res: http.IncomingMessage) => {
        responded = true;
        res.on('error', () => undefined); // reported through the request's outcome
        if (socket) noteKeepAlive(socket, res.headers['keep-alive']);
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          discard(res, req, o.timeoutMs - (performance.now() - started));
          finish({ kind: 'response', status }, true);
          return;
        }
        readBody(res, status);
      });

      req.end();
    }

    function readBody(res: http.IncomingMessage, status: number): void {
      const max = o.maxBytes;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > max) return finish({ kind: 'too-large', status });
      const chunks: Buffer[] = [];
      let received = 0;
      let decoded = 0;
      let decoders: Transform[] | undefined;
      let first = true;

      const tooLarge = () => finish({ kind: 'too-large', status });
      const fail = (error: unknown) => {
        const code = errorCode(error);
        finish({ kind: 'network', code: code === 'ERR_STREAM_PREMATURE_CLOSE' || code === undefined ? 'ECONNRESET' : code });
      };
      const collect = (chunk: Buffer) => {
        if (settled) return;
        decoded += chunk.length;
        if (decoded > max) return tooLarge();
        chunks.push(chunk);
      };
      const complete = () => finish({ kind: 'response', status, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, decoded) }, true);

      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        received += chunk.length;
        if (received > max) return tooLarge();
        if (first) {
          first = false;
          decoders = decoderFor(res.headers['content-encoding'], chunk);
          if (decoders) {
            for (let i = 0; i < decoders.length - 1; i++) (decoders[i] as Transform).pipe(decoders[i + 1] as Transform);
            for (const d of decoders) d.on('error', fail);
            const last = decoders[decoders.length - 1] as Transform;
            last.on('data', collect);
            last.on('end', complete);
          }
        }
        if (decoders) (decoders[0] as Transform).write(chunk);
        else collect(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        if (decoders) (decoders[0] as Transform).end();
        else complete();
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(undefined);
      });
      release = () => {
        for (const d of decoders ?? []) d.destroy();
      };
    }

    attempt(false);
  });
}
