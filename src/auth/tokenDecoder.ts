/** Split and decode a compact JWS without trusting it: only to learn which issuer and key to verify with. */
import { AuthError } from './types';

/** Far above any real CDS Hooks JWT (~1 KiB); bounds the work an oversized header can cause. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

const B64URL = /^[A-Za-z0-9_-]+$/;

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

function decodeSegment(segment: string): Record<string, unknown> {
  // Buffer's base64url decoder skips invalid characters silently; check the alphabet first.
  if (!B64URL.test(segment)) throw new AuthError('malformed_token');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new AuthError('malformed_token');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AuthError('malformed_token');
  return parsed as Record<string, unknown>;
}

export function decodeJwt(token: string): DecodedJwt {
  if (token.length > MAX_TOKEN_LENGTH) throw new AuthError('malformed_token');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[2] || !B64URL.test(parts[2])) throw new AuthError('malformed_token');
  return { header: decodeSegment(parts[0]!), payload: decodeSegment(parts[1]!) };
}
