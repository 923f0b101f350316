/**
 * Start-up: load and validate configuration, build the service, listen, and drain on SIGTERM/SIGINT.
 * With more than one worker (server.workers / WEB_CONCURRENCY; production default = one per CPU) the
 * primary process forks workers that share the port (node:cluster); the jti replay cache and the card store
 * are then shared through SQLite.
 */
import cluster from 'node:cluster';
import os from 'node:os';
import type { Server } from 'node:http';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { createLogger, type Logger } from './logger';
import { buildService } from './compose';

function workerCount(config: AppConfig): number {
  const configured = config.server.workers;
  if (configured === undefined) return process.env.NODE_ENV === 'production' ? os.availableParallelism() : 1;
  return configured === 0 ? os.availableParallelism() : configured;
}

function runPrimary(config: AppConfig, logger: Logger, workers: number): void {
  logger.info('starting workers', { workers, port: config.server.port, host: config.server.host });
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error('worker exited; starting a replacement', { workerPid: worker.process.pid, code, signal });
    cluster.fork();
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down workers', { signal });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    const deadline = setTimeout(() => process.exit(1), config.server.shutdownGraceMs + 2000);
    deadline.unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function runServer(config: AppConfig, logger: Logger, shared: boolean): void {
  let shuttingDown = false;
  const built = buildService(config, logger, { sharedReplayCache: shared, isShuttingDown: () => shuttingDown });
  const server: Server = built.app.listen(config.server.port, config.server.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.server.port;
    logger.info('listening', { url: `http://${config.server.host}:${port}`, services: built.services.list.map((s) => s.id), publicBaseUrl: config.publicBaseUrl });
  });
  server.requestTimeout = config.server.requestTimeoutMs;
  server.headersTimeout = config.server.headersTimeoutMs;
  server.keepAliveTimeout = config.server.keepAliveTimeoutMs;
  server.on('error', (err) => {
    logger.error('server error', { message: err.message });
    process.exit(1);
  });

  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info('draining', { signal });
    // Stop accepting, let in-flight requests finish, close idle keep-alive sockets.
    server.close(() => {
      built.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    const deadline = setTimeout(() => {
      logger.warn('grace period over; closing remaining connections');
      server.closeAllConnections();
    }, config.server.shutdownGraceMs);
    deadline.unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function main(): void {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`imatinib-cds: ${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  const logger = createLogger(config.log.level);
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', { reason: reason instanceof Error ? reason.message : String(reason) });
  });
  // Request handling never throws past its try/catch; an uncaught exception is a bug that may have left the
  // process in an unknown state, so log it and exit (the cluster primary or the supervisor restarts us).
  process.on('uncaughtException', (err) => {
    logger.error('uncaught exception; exiting', { message: err.message, stack: err.stack });
    setTimeout(() => process.exit(1), 100).unref();
  });
  const workers = workerCount(config);
  if (workers > 1 && cluster.isPrimary) runPrimary(config, logger, workers);
  else runServer(config, logger, workers > 1);
}

main();
