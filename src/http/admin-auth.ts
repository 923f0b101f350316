/**
 * The admin credential (ADMIN_TOKEN / admin.token): a static bearer token for the governance pages, separate
 * from the EHRs' JWTs so that no EHR key can read the analytics and no admin token can call a service.
 *  - no token configured: the admin routes do not exist (404, the same answer as any unknown path);
 *  - missing or wrong credential: 401 with WWW-Authenticate;
 *  - compared in constant time (SHA-256 of both sides, then timingSafeEqual, so not even the length leaks).
 * A browser has no way to send a bearer token on a plain navigation, so HTTP Basic is accepted too, with the
 * token as the password (any user name): the browser's own sign-in prompt then opens the page. The credential
 * is never logged: the request log line carries method, path and status only.
 */
import crypto from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../protocol/errors';

const REALM = 'imatinib-cds admin';
const MAX_HEADER = 2048;

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value, 'utf8').digest();
}

/** The secret a request presents: the bearer token, or the password of HTTP Basic. */
export function presentedSecret(authorization: string | undefined): string | undefined {
  if (!authorization || authorization.length > MAX_HEADER) return undefined;
  const m = /^(Bearer|Basic)[ ]+(\S+)[ ]*$/i.exec(authorization);
  if (!m || !m[1] || !m[2]) return undefined;
  if (m[1].toLowerCase() === 'bearer') return m[2];
  const decoded = Buffer.from(m[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

export function adminGuard(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, _res, next) => {
    if (!expected) return next(HttpError.of(404, 'not-found', `no route for ${req.method} ${req.path.slice(0, 200)}`));
    const secret = presentedSecret(req.get('authorization'));
    if (secret !== undefined && crypto.timingSafeEqual(digest(secret), expected)) return next();
    const error = HttpError.of(401, 'login', secret === undefined ? 'the admin pages need Authorization: Bearer <admin token>' : 'the admin token is not valid');
    error.headers['WWW-Authenticate'] = `Bearer realm="${REALM}", Basic realm="${REALM}", charset="UTF-8"`;
    next(error);
  };
}
