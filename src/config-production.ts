/**
 * Production rules (NODE_ENV=production) and start-up warnings for a validated configuration.
 *
 * `productionProblems` lists every rule the configuration breaks, each as "<key>: <why>", so one start-up
 * reports all of them (parseConfig throws one ConfigError with the whole list). `configWarnings` lists
 * combinations that are legal but probably wrong; the caller logs them and starts anyway.
 */
import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto';
import type { AppConfig } from './config';

/** Issuers of the development defaults (config/default.json), refused by `iss` in production. */
const DEVELOPMENT_ISSUERS: ReadonlyArray<{ matches: (iss: string) => boolean }> = [
  { matches: (iss) => iss === 'https://sandbox.cds-hooks.org' },
  { matches: (iss) => iss.startsWith('urn:imatinib-cds:demo') },
];

/**
 * RFC 7638 thumbprints (SHA-256, base64url) of the public development keys in config/default.json; a unit test
 * recomputes them from that file, so they cannot drift from it. Refused in production under any `iss`.
 */
export const DEVELOPMENT_KEY_THUMBPRINTS: ReadonlyArray<{ thumbprint: string; name: string }> = [
  { thumbprint: 's9fOe-KDYD1myZ8YCzleUqJQgrYZL49kVijBxhnZvZc', name: 'the CDS Hooks sandbox development key' },
  { thumbprint: 'Ey4-Gu6CN9d8rMCB8vf-XEGlTHn5JeBheVhw58F86AA', name: 'the demo client development key (scripts/keys/)' },
];

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

function requiredMembers(jwk: Record<string, unknown>): Record<string, string> | undefined {
  const names = typeof jwk.kty === 'string' ? THUMBPRINT_MEMBERS[jwk.kty] : undefined;
  if (!names) return undefined;
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = jwk[name];
    if (typeof v !== 'string' || v === '') return undefined;
    out[name] = v;
  }
  return out;
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url) of a public EC, RSA or OKP key; undefined for another `kty` or a
 * missing member. The members are first normalised through node:crypto when it can import them, so the same
 * key spelled differently (base64 padding, "+/" instead of "-_"), which node:crypto would accept when the key is
 * trusted, still has its one thumbprint.
 */
export function jwkThumbprint(jwk: Record<string, unknown>): string | undefined {
  const given = requiredMembers(jwk);
  if (!given) return undefined;
  let members = given;
  try {
    const exported = createPublicKey({ key: given as JsonWebKey, format: 'jwk' }).export({ format: 'jwk' });
    members = requiredMembers(exported as Record<string, unknown>) ?? given;
  } catch {
    // Not importable: hash the members as written (such a key also fails start-up in src/auth).
  }
  const names = THUMBPRINT_MEMBERS[given.kty as string] ?? [];
  // JSON.stringify of an object built in this order is RFC 7638's form: sorted members, no whitespace.
  const canonical = JSON.stringify(Object.fromEntries(names.map((n) => [n, members[n]])));
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

function isHttps(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** Every production rule the configuration breaks, as "<key>: <why>", in key order; empty when it passes. */
export function productionProblems(cfg: AppConfig): string[] {
  const problems: string[] = [];
  if (!cfg.publicBaseUrl) problems.push('publicBaseUrl: required in production (the externally visible base URL, e.g. https://cds.example.org)');
  else if (!isHttps(cfg.publicBaseUrl)) problems.push(`publicBaseUrl: must be an https:// URL in production, got "${cfg.publicBaseUrl}"`);

  if (!cfg.auth.required) problems.push('auth.required: must be true in production');
  if (cfg.auth.trustedClients.length === 0) problems.push('auth.trustedClients: production needs at least one trusted client');
  cfg.auth.trustedClients.forEach((client, i) => {
    const at = `auth.trustedClients[${i}]`;
    if (DEVELOPMENT_ISSUERS.some((d) => d.matches(client.iss))) {
      problems.push(`${at}.iss: the development issuer "${client.iss}" must not be trusted in production`);
    }
    if (client.jwksUrl !== undefined && !isHttps(client.jwksUrl)) {
      problems.push(`${at}.jwksUrl: must be an https:// URL in production, got "${client.jwksUrl}"`);
    }
    client.jwks?.keys.forEach((key, j) => {
      const thumbprint = jwkThumbprint(key);
      const dev = DEVELOPMENT_KEY_THUMBPRINTS.find((d) => d.thumbprint === thumbprint);
      if (dev) problems.push(`${at}.jwks.keys[${j}]: ${dev.name} must not be trusted in production`);
    });
  });

  cfg.fhir.allowedServers.forEach((server, i) => {
    if (!server.startsWith('https://')) problems.push(`fhir.allowedServers[${i}]: only https FHIR servers are allowed in production, got "${server}"`);
  });

  if (cfg.admin.token !== undefined && cfg.admin.token.length < 32) {
    problems.push(`admin.token: must be at least 32 characters in production (ADMIN_TOKEN), got ${cfg.admin.token.length}`);
  }
  if (cfg.cors.allowedOrigins.includes('*')) problems.push('cors.allowedOrigins: production must list explicit origins (no "*")');
  return problems;
}

/**
 * Legal but probably wrong for a fleet: the service cannot tell whether it is one of several instances, so it
 * warns (main.ts logs these) instead of refusing to start.
 */
export function configWarnings(cfg: AppConfig, env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  if (cfg.store.databaseUrl !== undefined && cfg.redis.url === undefined) {
    const shared = cfg.rateLimit.enabled ? 'jti replay cache and rate limit' : 'jti replay cache';
    warnings.push(
      `store.databaseUrl is set without redis.url: each instance keeps its own ${shared}; set REDIS_URL when several instances serve the same clients`,
    );
  }
  if (env.NODE_ENV === 'production' && cfg.rateLimit.enabled && cfg.redis.url === undefined) {
    warnings.push(
      `rateLimit.enabled is true without redis.url: the limit (rateLimit.maxRequestsPerClient ${cfg.rateLimit.maxRequestsPerClient} per ${cfg.rateLimit.windowMs} ms) is counted per process, so with N workers or instances a client gets up to N times it; set REDIS_URL to share it`,
    );
  }
  return warnings;
}
