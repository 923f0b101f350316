/**
 * Which fhirServer URLs the service may call (SSRF guard: the URL comes from the request body, and the
 * access token goes with it).
 *
 * A URL is allowed when it starts with an entry of `fhir.allowedServers` on a component boundary: same
 * scheme and host (so "http://localhost.evil.example" does not match "http://localhost"), the same port when
 * the entry names one (an entry without a port allows any port: development servers use ephemeral ports),
 * and the entry's path as a whole-segment prefix ("/fhir" allows "/fhir" and "/fhir/r4", not "/fhirx").
 * URLs carrying credentials, a query or a fragment are never used as a FHIR base.
 */

interface AllowedEntry {
  protocol: string;
  hostname: string;
  /** '' = any port. */
  port: string;
  /** Without trailing slashes; '' = any path. */
  path: string;
}

function parseUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/** An explicit port in the entry text, even the scheme's default one (which URL would normalise away). */
function explicitPort(raw: string, url: URL): string {
  if (url.port !== '') return url.port;
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(raw)?.[1] ?? '';
  const m = /:(\d+)$/.exec(authority.replace(/^\[[^\]]*\]/, ''));
  return m ? String(Number(m[1])) : '';
}

function effectivePort(url: URL): string {
  if (url.port !== '') return url.port;
  return url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '';
}

export class ServerAllowList {
  private readonly entries: AllowedEntry[];

  constructor(allowedServers: readonly string[]) {
    this.entries = allowedServers.flatMap((raw) => {
      const url = parseUrl(raw);
      if (!url) return [];
      return [{ protocol: url.protocol, hostname: url.hostname, port: explicitPort(raw, url), path: url.pathname.replace(/\/+$/, '') }];
    });
  }

  /** True when `candidate` is an http(s) URL on an allow-listed server (see the module comment). */
  allows(candidate: string): boolean {
    const url = parseUrl(candidate);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
    if (url.username !== '' || url.password !== '') return false;
    return this.entries.some(
      (e) =>
        e.protocol === url.protocol &&
        e.hostname === url.hostname &&
        (e.port === '' || e.port === effectivePort(url)) &&
        (e.path === '' || url.pathname === e.path || url.pathname.startsWith(`${e.path}/`)),
    );
  }
}

export type ServerCheck = { ok: true; base: string; origin: string } | { ok: false; reason: string };

/** Validate a request's fhirServer: the base URL (no trailing slash) to build requests on, or why not. */
export function checkFhirServer(fhirServer: string | undefined, allowList: ServerAllowList): ServerCheck {
  if (fhirServer === undefined || fhirServer === '') return { ok: false, reason: 'the request has no fhirServer to fetch from' };
  const url = parseUrl(fhirServer);
  if (!url || url.search !== '' || url.hash !== '') return { ok: false, reason: 'fhirServer is not a usable base URL' };
  if (!allowList.allows(fhirServer)) return { ok: false, reason: 'fhirServer is not on the allow-list (fhir.allowedServers)' };
  return { ok: true, base: url.href.replace(/\/+$/, ''), origin: url.origin };
}
