/** Fetch one JWK Set over HTTP: bounded in time and size, no redirects (a redirect could point anywhere). */
import { readBoundedBody } from '../hardening/boundedBody';

export interface JwksFetchOptions {
  fetchImpl: typeof fetch;
  timeoutMs: number;
  /** Larger bodies are refused; a JWK Set with a handful of keys is a few KiB. */
  maxBytes: number;
}

export const DEFAULT_JWKS_MAX_BYTES = 256 * 1024;
/** More keys than this in one set is not a real client; it bounds the import work per fetch. */
export const MAX_JWKS_KEYS = 100;

export class JwksFetchError extends Error {
  override readonly name = 'JwksFetchError';
}

async function readBounded(res: Response, maxBytes: number): Promise<string> {
  const body = await readBoundedBody(res, maxBytes);
  if (!body.ok) throw new JwksFetchError(`body exceeds ${maxBytes} bytes`);
  return body.text;
}

/** Returns the raw `keys` array; importing (and skipping bad members) is the caller's job. */
export async function fetchJwks(url: string, opts: JwksFetchOptions): Promise<unknown[]> {
  let res: Response;
  try {
    // The timeout signal also covers reading the body, so a server that trickles bytes cannot hold us.
    res = await opts.fetchImpl(url, {
      signal: AbortSignal.timeout(opts.timeoutMs),
      redirect: 'error',
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
  } catch (e) {
    throw new JwksFetchError(`request failed: ${(e as Error).name === 'TimeoutError' ? 'timeout' : (e as Error).message}`);
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new JwksFetchError(`HTTP ${res.status}`);
  }
  let text: string;
  try {
    text = await readBounded(res, opts.maxBytes);
  } catch (e) {
    if (e instanceof JwksFetchError) throw e;
    throw new JwksFetchError(`reading body failed: ${(e as Error).name === 'TimeoutError' ? 'timeout' : (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new JwksFetchError('body is not JSON');
  }
  const keys = typeof parsed === 'object' && parsed !== null ? (parsed as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) throw new JwksFetchError('body has no "keys" array');
  if (keys.length > MAX_JWKS_KEYS) throw new JwksFetchError(`more than ${MAX_JWKS_KEYS} keys`);
  return keys;
}
