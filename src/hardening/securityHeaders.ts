/**
 * Response security headers for a JSON-only API (helmet). Nothing here is ever rendered as a page, so the CSP
 * forbids everything; HSTS is sent only when the public URL is https (sending it over plain-http development
 * would be ignored at best and sticky at worst). Cache-Control: no-store because cards carry patient data.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

export interface SecurityHeadersOptions {
  publicBaseUrl?: string;
}

export function securityHeaders(opts: SecurityHeadersOptions = {}): RequestHandler {
  const https = opts.publicBaseUrl?.startsWith('https://') === true;
  const h = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity: https ? { maxAge: 31536000, includeSubDomains: true } : false,
    // The browser Sandbox calls us with CORS requests; CORP does not apply to those, so same-origin is safe.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  // helmet's headers do not depend on the request: compute them once through helmet itself (so helmet stays
  // the source of truth) and set the resulting constant list per response, without helmet's per-request work.
  const headers: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, String(value)]);
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  h({} as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err;
  });
  headers.push(['Cache-Control', 'no-store']);
  return (_req: Request, res: Response, next: NextFunction): void => {
    for (const [name, value] of headers) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}
