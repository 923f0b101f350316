/**
 * The CDS services this deployment offers, one JSON file each in hooks/. Validated at start-up (a bad file
 * stops the process naming the file and field): the fields below, a `prefetchLabels` entry (the words a
 * prescriber reads) for every prefetch key and none for another key, prefetch templates that compile, and at
 * least one Condition search key (the GIST gate needs the patient's Conditions). Each definition keeps its
 * compiled templates (`prefetchTemplates`), so requests never parse a template. The discovery document is
 * serialised once, CDS Hooks fields only (no labels).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config';
import { CompiledTemplates, TemplateError, compileTemplates } from '../fhir/templates';

/** Tokens CDS Hooks 2.0 allows in our hooks' prefetch templates (order-select/order-sign context fields). */
const ALLOWED_TOKENS = new Set(['context.patientId', 'context.userId', 'context.encounterId', 'userPractitionerId']);

/** read (`Type/{{token}}`) or type-level search (`Type?param=value&...`), the 2.0 prefetch subset. */
const TEMPLATE_SHAPE = /^[A-Z][A-Za-z]+(\/\{\{[^}]+\}\}|\?[^#\s]+)$/;

const prefetchTemplate = z
  .string()
  .regex(TEMPLATE_SHAPE, 'must be an instance read (Type/{{token}}) or a type-level search (Type?params)')
  .superRefine((template, ctx) => {
    for (const m of template.matchAll(/\{\{([^}]*)\}\}/g)) {
      const token = (m[1] ?? '').trim();
      if (!ALLOWED_TOKENS.has(token)) ctx.addIssue({ code: 'custom', message: `prefetch token {{${token}}} is not allowed (allowed: ${[...ALLOWED_TOKENS].join(', ')})` });
    }
    if (/[?&]_include|[?&]_revinclude|[?&]_elements/.test(template)) ctx.addIssue({ code: 'custom', message: '_include/_revinclude/_elements are outside the CDS Hooks 2.0 prefetch subset' });
  });

const serviceFile = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and hyphens'),
    hook: z.enum(['order-select', 'order-sign']),
    title: z.string().min(1),
    description: z.string().min(1),
    usageRequirements: z.string().min(1).optional(),
    prefetch: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/), prefetchTemplate).refine((p) => Object.keys(p).length > 0, 'must not be empty'),
    /** For every prefetch key, the words a prescriber reads ("labs", "medication list"). */
    prefetchLabels: z.record(z.string(), z.string()),
    /** Adds the pharmacy VERIFICATION_SUMMARY card. */
    verificationSummary: z.boolean(),
  })
  .superRefine((service, ctx) => {
    for (const key of Object.keys(service.prefetch)) {
      const label = service.prefetchLabels[key];
      if (label === undefined) ctx.addIssue({ code: 'custom', path: ['prefetchLabels', key], message: `prefetch key "${key}" has no label` });
      else if (label.trim() === '') ctx.addIssue({ code: 'custom', path: ['prefetchLabels', key], message: `the label of prefetch key "${key}" is empty` });
    }
    for (const key of Object.keys(service.prefetchLabels)) {
      if (!Object.prototype.hasOwnProperty.call(service.prefetch, key)) {
        ctx.addIssue({ code: 'custom', path: ['prefetchLabels', key], message: `"${key}" is not a prefetch key of this service` });
      }
    }
  });

export type ServiceDefinition = z.infer<typeof serviceFile> & {
  /** `prefetch` compiled at start-up, for the data layer. */
  prefetchTemplates: CompiledTemplates;
};

export interface ServiceRegistry {
  list: ServiceDefinition[];
  byId: Map<string, ServiceDefinition>;
  /** Pre-serialised `{"services":[...]}` discovery body. */
  discoveryJson: string;
}

export const HOOKS_DIR_CANDIDATES = [path.resolve(__dirname, '..', '..', 'hooks'), path.resolve(__dirname, '..', '..', '..', 'hooks')];

export function findHooksDir(): string {
  const dir = HOOKS_DIR_CANDIDATES.find((d) => fs.existsSync(d));
  if (!dir) throw new ConfigError('hooks/ directory not found');
  return dir;
}

export function loadServices(dir: string = findHooksDir()): ServiceRegistry {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new ConfigError(`no service definitions (*.json) in ${dir}`);
  const list: ServiceDefinition[] = [];
  const byId = new Map<string, ServiceDefinition>();
  for (const file of files) {
    const full = path.join(dir, file);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(full, 'utf8'));
    } catch (e) {
      throw new ConfigError(`hooks/${file} is not valid JSON: ${(e as Error).message}`);
    }
    const result = serviceFile.safeParse(raw);
    if (!result.success) {
      const why = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new ConfigError(`hooks/${file} is invalid: ${why}`);
    }
    const parsed = result.data;
    if (`${parsed.id}.json` !== file) throw new ConfigError(`hooks/${file}: id "${parsed.id}" must match the file name`);
    let prefetchTemplates: CompiledTemplates;
    try {
      prefetchTemplates = compileTemplates(parsed.prefetch);
    } catch (e) {
      if (e instanceof TemplateError) throw new ConfigError(`hooks/${file} is invalid: ${e.message}`);
      throw e;
    }
    if (!prefetchTemplates.entries.some((t) => t.kind === 'search' && t.resourceType === 'Condition')) {
      throw new ConfigError(`hooks/${file} is invalid: prefetch: needs a Condition search key (Condition?patient=...): the GIST gate needs the patient's Conditions`);
    }
    const service: ServiceDefinition = { ...parsed, prefetchTemplates };
    if (byId.has(service.id)) throw new ConfigError(`hooks/${file}: duplicate service id "${service.id}"`);
    byId.set(service.id, service);
    list.push(service);
  }
  const services = list.map((s) => {
    const entry: Record<string, unknown> = { hook: s.hook, id: s.id, title: s.title, description: s.description, prefetch: s.prefetch };
    if (s.usageRequirements) entry.usageRequirements = s.usageRequirements;
    return entry;
  });
  return { list, byId, discoveryJson: JSON.stringify({ services }) };
}
