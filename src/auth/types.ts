/** Shared auth types: the verified caller and the (never disclosed) reasons a token is refused. */

/** The CDS Client a request was verified to come from; set on `res.locals.client` by the auth middleware. */
export interface VerifiedClient {
  iss: string;
  tenant?: string;
  jti: string;
}

/**
 * Why a token was refused. Logged (with iss/kid/jti) but never sent to the caller: the spec's best practice is
 * a bare 401 so an attacker learns nothing about which check failed.
 */
export type AuthFailureReason =
  | 'missing_authorization'
  | 'not_bearer'
  | 'malformed_token'
  | 'alg_not_allowed'
  | 'bad_typ'
  | 'unsupported_crit'
  | 'missing_kid'
  | 'unknown_iss'
  | 'unknown_kid'
  | 'jku_not_allowed'
  | 'jwks_unavailable'
  | 'key_alg_mismatch'
  | 'bad_signature'
  | 'bad_claims'
  | 'wrong_aud'
  | 'expired'
  | 'iat_in_future'
  | 'not_yet_valid'
  | 'lifetime_too_long'
  | 'tenant_not_allowed'
  | 'replayed_jti'
  | 'internal_error';

/** A refused token. `details` are safe to log (never the token itself). */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly reason: AuthFailureReason,
    readonly details: { iss?: string; kid?: string; jti?: string; tenant?: string } = {},
  ) {
    super(reason);
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** Present once the auth middleware has verified the caller's JWT. */
      client?: VerifiedClient;
    }
  }
}
