/**
 * CORS for browser-based CDS clients (the CDS Hooks Sandbox is one). Preflight is answered here, before any
 * authentication, because browsers never send Authorization on OPTIONS. Credentials are never allowed, so a
 * wildcard origin stays safe; a listed origin is echoed with `Vary: Origin`.
 */
import type { RequestHandler } from 'express';
import type { AppConfig } from '../config';

export function createCors(cfg: AppConfig['cors']): RequestHandler {
  const anyOrigin = cfg.allowedOrigins.includes('*');
  const allowed = new Set(cfg.allowedOrigins);
  return (req, res, next) => {
    const origin = req.get('origin');
    const permitted = origin !== undefined && (anyOrigin || allowed.has(origin));
    if (permitted) {
      res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
      if (!anyOrigin) res.append('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, WWW-Authenticate');
    }
    if (req.method === 'OPTIONS') {
      if (permitted) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Request-Id');
        res.setHeader('Access-Control-Max-Age', String(cfg.maxAgeSeconds));
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
