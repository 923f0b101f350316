/**
 * Builds the real service (src/compose.ts) for tests from config/default.json plus overrides, with an
 * in-memory (or given) SQLite store and a silent logger, optionally listening on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import type { AppConfig } from '../../src/config';
import { testConfig } from './config';
import { createLogger, type Logger } from '../../src/logger';
import { buildService, type BuiltService, type ServiceOptions } from '../../src/compose';

export interface LogCapture {
  lines: Record<string, unknown>[];
  text(): string;
}

export function capturingLogger(level = 'info'): { logger: Logger; capture: LogCapture } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(level, { stream });
  return {
    logger,
    capture: {
      get lines() {
        return chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      },
      text: () => chunks.join(''),
    },
  };
}

export interface TestService extends BuiltService {
  config: AppConfig;
  logs: LogCapture;
}

export function makeService(overrides: Record<string, unknown> = {}, options: ServiceOptions = {}): TestService {
  const config = testConfig(overrides);
  const { logger, capture } = capturingLogger();
  const built = buildService(config, logger, options);
  return { ...built, config, logs: capture };
}

export interface ListeningService extends TestService {
  baseUrl: string;
  server: Server;
  stop(): Promise<void>;
}

export async function listen(service: TestService): Promise<ListeningService> {
  const server = await new Promise<Server>((resolve) => {
    const s = service.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...service,
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          void service.close().then(resolve, resolve);
        });
      }),
  };
}
