/** The `aud` values a request accepts: "the URL of the CDS Service endpoint being invoked". */
import type { Request } from 'express';

export type EndpointKind = 'discovery' | 'service' | 'feedback';

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** The invoked path as the client sent it (raw, no query or fragment): clients build aud from that URL. */
export function invokedPath(req: Request): string {
  const url = req.originalUrl;
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/**
 * Development only (no publicBaseUrl; production refuses to start without it): the base comes from the
 * request, and a loopback host also matches its other loopback spellings, since a client configured with
 * http://localhost:3000 may reach us as 127.0.0.1:3000.
 */
function derivedBases(req: Request): string[] {
  const host = req.get('host');
  if (!host) return [];
  const proto = req.protocol;
  const m = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i.exec(host);
  if (!m) return [`${proto}://${host}`];
  const port = m[2] ?? '';
  return LOOPBACK.map((h) => `${proto}://${h}${port}`);
}

/**
 * Expected audiences for this request. Feedback also accepts the service URL itself: the Sandbox uses
 * `.../{id}/feedback`, but a client may reasonably sign for the service it is giving feedback on.
 */
export function expectedAudiences(req: Request, publicBaseUrl: string | undefined, kind: EndpointKind): string[] {
  const path = invokedPath(req);
  const paths = [path];
  if (kind === 'feedback') {
    const service = path.replace(/\/feedback\/?$/, '');
    if (service !== path) paths.push(service);
  }
  const bases = publicBaseUrl ? [publicBaseUrl.replace(/\/+$/, '')] : derivedBases(req);
  return bases.flatMap((b) => paths.map((p) => b + p));
}
