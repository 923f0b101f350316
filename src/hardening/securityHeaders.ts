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
  return (req: Request, res: Response, next: NextFunction): void => {
    h(req, res, (err?: unknown) => {
      if (err) return next(err);
      res.setHeader('Cache-Control', 'no-store');
      next();
    });
  };
}
