/**
 * CDS Hooks 2.0 prefetch templates: parsed once at start-up into literal and token parts, then resolved
 * against each request's context without re-parsing.
 *
 * Tokens (CDS Hooks 2.0 §Prefetch tokens): `{{context.patientId}}`, `{{context.userId}}`,
 * `{{context.encounterId}}`, and the ids derived from `context.userId` ("Practitioner/abc"):
 * `{{userPractitionerId}}`, `{{userPractitionerRoleId}}`, `{{userPatientId}}`, `{{userRelatedPersonId}}`.
 * A template whose token has no value in this request (encounterId absent, userId of another type) cannot be
 * fetched: the key is missing, and the resolver says why.
 *
 * loadServices (src/protocol/services.ts) compiles every service's templates once at start-up and keeps them
 * on the service definition (`prefetchTemplates`); the data layer takes that CompiledTemplates object.
 */
import type { PrefetchTemplates } from './types';

export type TemplateToken =
  | 'context.patientId'
  | 'context.userId'
  | 'context.encounterId'
  | 'userPractitionerId'
  | 'userPractitionerRoleId'
  | 'userPatientId'
  | 'userRelatedPersonId';

const CONTEXT_TOKENS: ReadonlySet<string> = new Set(['context.patientId', 'context.userId', 'context.encounterId']);

/** `{{userXId}}` tokens: the resource type `context.userId` must name for the token to have a value. */
const USER_TOKENS: Readonly<Record<string, string>> = {
  userPractitionerId: 'Practitioner',
  userPractitionerRoleId: 'PractitionerRole',
  userPatientId: 'Patient',
  userRelatedPersonId: 'RelatedPerson',
};

/** FHIR id syntax (and not a dot segment): a path value must be one, so "..", "/" or "?" cannot reshape the URL. */
const FHIR_ID = /^(?!\.+$)[A-Za-z0-9\-.]{1,64}$/;

type TemplatePart = { literal: string } | { token: TemplateToken; inQuery: boolean };

export interface CompiledTemplate {
  readonly key: string;
  /** The template text as configured (for messages). */
  readonly template: string;
  /** `read` = `Type/{{token}}` (404 means "no such resource"); `search` = `Type?params`. */
  readonly kind: 'read' | 'search';
  readonly resourceType: string;
  /**
   * The codes of the template's `code` search parameter, "system|code" as written (e.g.
   * "http://loinc.org|751-8"; percent-encoding such as `%7C` decoded, comma-separated values split, several
   * `code` parameters joined). Undefined when the template has no `code` parameter.
   */
  readonly codes?: readonly string[];
  readonly parts: readonly TemplatePart[];
}

/** A service's templates, compiled once. Produced only by compileTemplates. */
export class CompiledTemplates {
  constructor(readonly entries: readonly CompiledTemplate[]) {}
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

export type Resolution = { ok: true; url: string } | { ok: false; reason: string };

const TEMPLATE_SHAPE = /^([A-Z][A-Za-z]+)(\/[^/?#\s]+|\?[^#\s]*)?$/;

function compileOne(key: string, template: string): CompiledTemplate {
  // The shape is checked with tokens blanked out, so `{{ context.patientId }}` (spaces allowed) passes.
  const shape = TEMPLATE_SHAPE.exec(template.replace(/\{\{[^{}]*\}\}/g, 'x'));
  if (!shape) throw new TemplateError(`prefetch "${key}": "${template}" is neither a read (Type/id) nor a type-level search (Type?params)`);
  const resourceType = shape[1] as string;
  const rest = shape[2] ?? '';
  const kind = rest.startsWith('/') ? 'read' : 'search';
  const queryStart = template.indexOf('?');
  const parts: TemplatePart[] = [];
  const tokenPattern = /\{\{([^{}]*)\}\}/g;
  let last = 0;
  for (const m of template.matchAll(tokenPattern)) {
    const name = (m[1] ?? '').trim();
    if (!CONTEXT_TOKENS.has(name) && !(name in USER_TOKENS)) {
      throw new TemplateError(`prefetch "${key}": token {{${name}}} is not supported`);
    }
    const at = m.index;
    if (at > last) parts.push({ literal: template.slice(last, at) });
    parts.push({ token: name as TemplateToken, inQuery: queryStart >= 0 && at > queryStart });
    last = at + m[0].length;
  }
  if (last < template.length) parts.push({ literal: template.slice(last) });
  const literalText = parts.map((p) => ('literal' in p ? p.literal : '')).join('');
  if (literalText.includes('{{') || literalText.includes('}}')) throw new TemplateError(`prefetch "${key}": unbalanced braces in "${template}"`);
  const codes = kind === 'search' && queryStart >= 0 ? codeParameter(key, template.slice(queryStart + 1)) : undefined;
  return { key, template, kind, resourceType, ...(codes ? { codes } : {}), parts };
}

/**
 * The values of the `code` parameters of a search query ("a=1&code=s|c1,s|c2"), or undefined when there is
 * none. Each parameter value is percent-decoded, then split at commas not escaped as `\,` (FHIR search
 * syntax); values holding a token are left out (their codes are only known per request).
 */
function codeParameter(key: string, query: string): readonly string[] | undefined {
  let found = false;
  const codes: string[] = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq >= 0 ? pair.slice(0, eq) : pair;
    if (name !== 'code') continue;
    found = true;
    const raw = eq >= 0 ? pair.slice(eq + 1) : '';
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      throw new TemplateError(`prefetch "${key}": the code parameter is not valid percent-encoding`);
    }
    for (const code of value.split(/(?<!\\),/)) {
      const unescaped = code.replace(/\\,/g, ',');
      if (unescaped !== '' && !unescaped.includes('{{')) codes.push(unescaped);
    }
  }
  return found ? Object.freeze(codes) : undefined;
}

/** Parse every template of a service. Throws TemplateError naming the key (at start-up, never per request). */
export function compileTemplates(templates: PrefetchTemplates): CompiledTemplates {
  return new CompiledTemplates(Object.entries(templates).map(([key, template]) => compileOne(key, template)));
}

function tokenValue(token: TemplateToken, context: Record<string, unknown>): string | { missing: string } {
  if (CONTEXT_TOKENS.has(token)) {
    const field = token.slice('context.'.length);
    const value = context[field];
    if (typeof value !== 'string' || value === '') return { missing: `the request has no ${token}` };
    return value;
  }
  const wantedType = USER_TOKENS[token] as string;
  const userId = context.userId;
  if (typeof userId !== 'string') return { missing: `{{${token}}} needs context.userId, which the request lacks` };
  const slash = userId.indexOf('/');
  const type = slash > 0 ? userId.slice(0, slash) : '';
  const id = slash > 0 ? userId.slice(slash + 1) : '';
  if (type !== wantedType || id === '') return { missing: `{{${token}}} needs a ${wantedType} context.userId` };
  return id;
}

/** Fill in the tokens: a relative URL (`Type/id` or `Type?query`) to resolve against fhirServer. */
export function resolveTemplate(template: CompiledTemplate, context: Record<string, unknown>): Resolution {
  let url = '';
  for (const part of template.parts) {
    if ('literal' in part) {
      url += part.literal;
      continue;
    }
    const value = tokenValue(part.token, context);
    if (typeof value !== 'string') return { ok: false, reason: `template "${template.template}" cannot be filled: ${value.missing}` };
    if (!part.inQuery && !FHIR_ID.test(value)) {
      return { ok: false, reason: `template "${template.template}" cannot be filled: {{${part.token}}} is not a valid FHIR id` };
    }
    try {
      url += encodeURIComponent(value);
    } catch {
      // A lone UTF-16 surrogate (possible in JSON) has no URL encoding.
      return { ok: false, reason: `template "${template.template}" cannot be filled: {{${part.token}}} is not valid Unicode` };
    }
  }
  return { ok: true, url };
}
