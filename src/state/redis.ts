/**
 * State shared by every instance through Redis (REDIS_URL): the jti replay cache and the rate-limit counters.
 *
 * Both are on the safety path, so their failure mode is explicit: every command is bounded by
 * redis.commandTimeoutMs, commands are never queued while disconnected (they fail at once), and a failure
 * surfaces as StateUnavailableError, which the HTTP layer answers with 503 + Retry-After. The client reconnects
 * on its own every 200 ms at most, so the service recovers within a second of Redis coming back.
 *
 * - Replay: one atomic `SET key 1 NX EXAT <exp+skew>`; the same jti sent to two instances at once is accepted
 *   exactly once.
 * - Rate limit: a fixed window per client, `INCR` + `PEXPIRE` in one Lua script.
 */
import Redis from 'ioredis';
import type { AppConfig } from '../config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics/types';
import type { ReplayCache } from '../auth/replayCache';
import type { RateCounter } from '../hardening/rateLimiter';
import { StateUnavailableError } from './errors';

const WINDOW_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/**
 * The replay check, atomic. KEYS: the jti, the "since" marker; ARGV: exp (EXAT), the token's iat, now.
 * The marker records since when this Redis has remembered jtis. When it is missing, Redis has lost its data
 * (a restart without persistence, a flush) or is new: from now on it remembers, and a token issued before
 * that moment may have been seen already and cannot be told from a replay (-1; the caller answers 503 and a
 * client's retry with a fresh token passes). 1 = first sight (now remembered), 0 = replay.
 */
const REPLAY_SCRIPT = `
local since = redis.call('GET', KEYS[2])
if not since then
  redis.call('SET', KEYS[2], ARGV[3])
  since = ARGV[3]
end
if tonumber(ARGV[2]) < tonumber(since) then return -1 end
if redis.call('SET', KEYS[1], '1', 'EXAT', ARGV[1], 'NX') then return 1 end
return 0`;

export interface RedisState {
  client: Redis;
  replay: ReplayCache;
  rateCounter: RateCounter;
  /** Connected and answering. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

type RedisWithScripts = Redis & {
  windowIncr(key: string, windowMs: number): Promise<number>;
  replayCheck(jtiKey: string, sinceKey: string, exat: number, iat: number, now: number): Promise<number>;
};

export function createRedisState(cfg: AppConfig['redis'] & { url: string }, deps: { logger: Logger; metrics: Metrics }): RedisState {
  const client = new Redis(cfg.url, {
    keyPrefix: cfg.keyPrefix,
    connectTimeout: cfg.connectTimeoutMs,
    commandTimeout: cfg.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableReadyCheck: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(50 * times, 200),
  }) as RedisWithScripts;
  client.defineCommand('windowIncr', { numberOfKeys: 1, lua: WINDOW_SCRIPT });
  client.defineCommand('replayCheck', { numberOfKeys: 2, lua: REPLAY_SCRIPT });
  let wasDown = false;
  client.on('error', (e: Error) => {
    if (!wasDown) deps.logger.warn('Redis unavailable', { message: e.message });
    wasDown = true;
    deps.metrics.stateError('redis');
  });
  client.on('ready', () => {
    if (wasDown) deps.logger.info('Redis available again');
    wasDown = false;
  });

  async function guarded<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (client.status !== 'ready') {
      deps.metrics.stateError('redis');
      throw new StateUnavailableError(what);
    }
    try {
      return await op();
    } catch {
      deps.metrics.stateError('redis');
      throw new StateUnavailableError(what);
    }
  }

  return {
    client,
    replay: {
      async checkAndRemember(key, expiresAtSec, issuedAtSec) {
        const now = Math.floor(Date.now() / 1000);
        // EXAT needs a time in the future; a token already past exp + skew never reaches here.
        const at = Math.max(Math.ceil(expiresAtSec), now + 1);
        const answer = await guarded('replay cache', () => client.replayCheck(`jti:${key}`, 'jti-since', at, Math.floor(issuedAtSec ?? now), now));
        if (answer === -1) {
          deps.logger.warn('replay cache restarted empty: a token issued before it cannot be checked', { event: 'replay_cache_restarted' });
          throw new StateUnavailableError('replay cache (restarted; retry with a new token)');
        }
        return answer === 1;
      },
    },
    rateCounter: {
      async hit(key, windowStartMs, windowMs) {
        return guarded('rate limiter', () => client.windowIncr(`rl:${windowStartMs}:${key}`, windowMs + 1000));
      },
    },
    async ready() {
      if (client.status !== 'ready') return false;
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
