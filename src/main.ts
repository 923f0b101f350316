/**
 * Start-up: load and validate configuration, build the service, listen, and drain on SIGTERM/SIGINT.
 * With more than one worker (server.workers / WEB_CONCURRENCY; production default = one per CPU) the
 * primary process forks workers that share the port (node:cluster). Shared state: Redis (REDIS_URL) for the
 * jti replay cache and rate limits, PostgreSQL (DATABASE_URL) for the record; without them, SQLite files
 * shared by the workers of this machine. On SIGTERM /readyz answers 503 for server.readinessDrainMs before
 * the listener closes, then in-flight requests drain.
 */
import cluster from 'node:cluster';
import os from 'node:os';
import type { Server } from 'node:http';
import { ConfigError, configWarnings, loadConfig, type AppConfig } from './config';
import { createLogger, type Logger } from './logger';
import { buildService } from './compose';
import { NO_METRICS } from './metrics/types';
import { startMetricsListener, workerMetrics, type MetricsListener } from './metrics/server';

function workerCount(config: AppConfig): number {
  const configured = config.server.workers;
  if (configured === undefined) return process.env.NODE_ENV === 'production' ? os.availableParallelism() : 1;
  return configured === 0 ? os.availableParallelism() : configured;
}

/** The metrics listener of this process, if configured; a failure to bind stops start-up. */
async function metricsOrExit(start: () => Promise<MetricsListener | undefined>, logger: Logger): Promise<MetricsListener | undefined> {
  try {
    return await start();
  } catch (e) {
    logger.error('metrics listener could not start', { reason: (e as Error).message });
    process.exit(1);
  }
}

function runPrimary(config: AppConfig, logger: Logger, workers: number): void {
  logger.info('starting workers', { workers, port: config.server.port, host: config.server.host });
  // Metrics aggregated across the workers are served by the primary (workers share the service port only).
  let metricsListener: MetricsListener | undefined;
  void metricsOrExit(() => startMetricsListener(config.metrics, { kind: 'cluster' }, logger), logger).then((l) => (metricsListener = l));
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
    void metricsListener?.close();
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    const deadline = setTimeout(() => process.exit(1), config.server.readinessDrainMs + config.server.shutdownGraceMs + 2000);
    deadline.unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function runServer(config: AppConfig, logger: Logger, shared: boolean): Promise<void> {
  let shuttingDown = false;
  // Registered before anything else, so the primary's first scrape finds this worker's metrics.
  const prometheus = config.metrics.port !== undefined ? workerMetrics() : undefined;
  const built = buildService(config, logger, { sharedReplayCache: shared, isShuttingDown: () => shuttingDown, metrics: prometheus?.metrics ?? NO_METRICS });
  const metricsListener = !shared && prometheus ? await metricsOrExit(() => startMetricsListener(config.metrics, { kind: 'process', registry: prometheus.registry }, logger), logger) : undefined;
  try {
    await built.ready;
  } catch (e) {
    logger.error('record store could not start', { reason: (e as Error).message });
    await built.close().catch(() => undefined);
    process.exit(1);
  }
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
    // Not ready first, so a load balancer stops routing here; then stop accepting and drain.
    shuttingDown = true;
    logger.info('draining', { signal, readinessDrainMs: config.server.readinessDrainMs });
    const close = () => {
      // Stop accepting, let in-flight requests finish, close idle keep-alive sockets.
      server.close(() => {
        void Promise.all([built.close(), metricsListener?.close()]).finally(() => {
          logger.info('stopped');
          process.exit(0);
        });
      });
      server.closeIdleConnections();
      const deadline = setTimeout(() => {
        logger.warn('grace period over; closing remaining connections');
        server.closeAllConnections();
      }, config.server.shutdownGraceMs);
      deadline.unref();
    };
    if (config.server.readinessDrainMs > 0) setTimeout(close, config.server.readinessDrainMs);
    else close();
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
  if (cluster.isPrimary) for (const warning of configWarnings(config, process.env)) logger.warn('configuration warning', { warning });
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
  else void runServer(config, logger, workers > 1);
}

main();
