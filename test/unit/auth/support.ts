/** Shared set-up for the auth tests: a config with test keys, a capturing logger, a tiny Express app. */
import { Writable } from 'node:stream';
import express, { type Express } from 'express';
import winston from 'winston';
import { loadConfig, type AppConfig } from '../../../src/config';
import { createAuthMiddleware, type AuthDeps } from '../../../src/auth';
import { withTestAuth } from '../../helpers/jwt';

export function baseConfig(): AppConfig {
  return loadConfig({});
}

export function testConfig(auth: Partial<AppConfig['auth']> = {}): AppConfig {
  return withTestAuth(baseConfig(), auth);
}

export interface CapturedLog {
  level: string;
  message: string;
  [k: string]: unknown;
}

export function capturingLogger(): { logger: winston.Logger; entries: CapturedLog[]; raw: string[] } {
  const entries: CapturedLog[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const line = chunk.toString();
      raw.push(line);
      entries.push(JSON.parse(line) as CapturedLog);
      cb();
    },
  });
  const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  return { logger, entries, raw };
}

/** Routes shaped like the real service; each echoes the verified client (or null). */
export function authApp(cfg: AppConfig, deps: AuthDeps): Express {
  const auth = createAuthMiddleware(cfg, deps);
  const app = express();
  const echo: express.RequestHandler = (_req, res) => {
    res.json({ client: res.locals.client ?? null });
  };
  app.get('/cds-services', auth.discovery, echo);
  app.options('/cds-services/:id', auth.service, (_req, res) => {
    res.sendStatus(204);
  });
  app.post('/cds-services/:id', auth.service, echo);
  app.post('/cds-services/:id/feedback', auth.feedback, echo);
  return app;
}

export const UNAUTHORIZED_BODY = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'login', diagnostics: 'Unauthorized' }],
};
