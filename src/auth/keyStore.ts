/**
 * Trusted CDS Clients and their verification keys. Static JWK Sets are imported once at start-up; a configured
 * `jwksUrl` is fetched lazily, cached, and refreshed on an unknown kid — but never more than once per
 * `jwksRefreshIntervalMs` per issuer, whatever the traffic, so bogus kids cannot turn us into a request
 * amplifier against the EHR. Only configured URLs are ever fetched.
 */
import type winston from 'winston';
import type { AppConfig, TrustedClient } from '../config';
import type { TrustedKey } from './algorithms';
import { importJwkSet, JwkImportError } from './jwk';
import { DEFAULT_JWKS_MAX_BYTES, fetchJwks } from './jwksFetcher';
import { AuthError } from './types';

export interface KeyStoreDeps {
  logger: winston.Logger;
  /** Milliseconds, like Date.now. */
  now: () => number;
  fetchImpl: typeof fetch;
}

type AuthSettings = AppConfig['auth'];

/** The cached key set behind one issuer's jwksUrl. */
class RemoteJwks {
  private keys = new Map<string, TrustedKey>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly iss: string,
    readonly url: string,
    private readonly settings: AuthSettings,
    private readonly deps: KeyStoreDeps,
  ) {}

  /** The key for `kid`, refreshing when the cache is stale or lacks the kid and the refresh budget allows. */
  async get(kid: string): Promise<TrustedKey | undefined> {
    if (this.isFresh()) {
      const hit = this.keys.get(kid);
      if (hit) return hit;
    }
    if (this.inflight) {
      await this.inflight;
    } else if (this.deps.now() - this.lastAttemptAt >= this.settings.jwksRefreshIntervalMs) {
      this.inflight = this.refresh().finally(() => {
        this.inflight = undefined;
      });
      await this.inflight;
    }
    // Expired keys are not used: a key the issuer removed must stop working within jwksCacheMaxAgeMs.
    return this.isFresh() ? this.keys.get(kid) : undefined;
  }

  /** False when no successfully fetched, unexpired key set is held (the JWKS endpoint is failing). */
  isFresh(): boolean {
    return this.deps.now() - this.fetchedAt < this.settings.jwksCacheMaxAgeMs;
  }

  private async refresh(): Promise<void> {
    this.lastAttemptAt = this.deps.now();
    try {
      const raw = await fetchJwks(this.url, {
        fetchImpl: this.deps.fetchImpl,
        timeoutMs: this.settings.jwksFetchTimeoutMs,
        maxBytes: DEFAULT_JWKS_MAX_BYTES,
      });
      this.keys = importJwkSet(raw, (e) =>
        this.deps.logger.warn('skipping invalid key in fetched JWK Set', { event: 'jwks_key_skipped', iss: this.iss, url: this.url, error: e.message }),
      );
      this.fetchedAt = this.deps.now();
      this.deps.logger.info('fetched JWK Set', { event: 'jwks_fetched', iss: this.iss, url: this.url, keys: this.keys.size });
    } catch (e) {
      this.deps.logger.warn('JWK Set fetch failed', { event: 'jwks_fetch_failed', iss: this.iss, url: this.url, error: (e as Error).message });
    }
  }
}

interface ClientKeys {
  iss: string;
  staticKeys: Map<string, TrustedKey>;
  remote?: RemoteJwks;
  tenants?: ReadonlySet<string>;
}

export class TrustedKeyStore {
  private readonly clients = new Map<string, ClientKeys>();

  /** Throws on a configured key that cannot be used: a bad trust configuration must stop start-up. */
  constructor(settings: AuthSettings, deps: KeyStoreDeps) {
    for (const c of settings.trustedClients) this.clients.set(c.iss, TrustedKeyStore.buildClient(c, settings, deps));
  }

  private static buildClient(c: TrustedClient, settings: AuthSettings, deps: KeyStoreDeps): ClientKeys {
    const staticKeys = c.jwks
      ? importJwkSet(c.jwks.keys, (e: JwkImportError) => {
          throw new JwkImportError(`auth.trustedClients[iss=${c.iss}].jwks: ${e.message}`);
        })
      : new Map<string, TrustedKey>();
    const out: ClientKeys = { iss: c.iss, staticKeys };
    if (c.jwksUrl) out.remote = new RemoteJwks(c.iss, c.jwksUrl, settings, deps);
    if (c.tenants) out.tenants = new Set(c.tenants);
    return out;
  }

  isTrusted(iss: string): boolean {
    return this.clients.has(iss);
  }

  /** The tenant allow-list of a trusted issuer; undefined = any tenant (or none). */
  tenantsOf(iss: string): ReadonlySet<string> | undefined {
    return this.clients.get(iss)?.tenants;
  }

  /**
   * The key a token's (iss, kid, jku) designates. jku policy:
   * - issuer with a configured jwksUrl: a jku must equal it exactly, otherwise the token is refused;
   * - issuer with only a static JWK Set: the jku is ignored (the key set was exchanged out of band, as the
   *   spec allows; e.g. the CDS Hooks Sandbox sends a jku while we pin its published key). It is never fetched.
   */
  async resolve(iss: string, kid: string, jku: string | undefined): Promise<TrustedKey> {
    const client = this.clients.get(iss);
    if (!client) throw new AuthError('unknown_iss', { iss, kid });
    if (jku !== undefined && client.remote && jku !== client.remote.url) throw new AuthError('jku_not_allowed', { iss, kid });
    const pinned = client.staticKeys.get(kid);
    if (pinned) return pinned;
    if (client.remote) {
      const fetched = await client.remote.get(kid);
      if (fetched) return fetched;
      if (!client.remote.isFresh()) throw new AuthError('jwks_unavailable', { iss, kid });
    }
    throw new AuthError('unknown_kid', { iss, kid });
  }
}
