/** JSON request bodies: application/json (or +json) only, within the size limit, then the depth/length limits. */
import express, { type RequestHandler } from 'express';
import { HttpError } from '../protocol/errors';

const JSON_TYPES = ['application/json', 'application/*+json'];

export function requireJson(options: { limitBytes: number; checkJsonLimits?: (value: unknown) => string | undefined }): RequestHandler {
  const jsonBody = express.json({ limit: options.limitBytes, type: JSON_TYPES, strict: true });
  return (req, res, next) => {
    if (!req.is(JSON_TYPES)) {
      const hasBody = req.get('content-length') !== undefined ? Number(req.get('content-length')) > 0 : req.get('transfer-encoding') !== undefined;
      if (hasBody || req.get('content-type')) return next(HttpError.of(415, 'not-supported', 'Content-Type must be application/json'));
      return next(HttpError.of(400, 'structure', 'request body is required (application/json)'));
    }
    jsonBody(req, res, (err?: unknown) => {
      if (err) return next(err);
      const violation = options.checkJsonLimits?.(req.body);
      if (violation) return next(HttpError.of(400, 'too-long', violation));
      next();
    });
  };
}
