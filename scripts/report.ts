/**
 * The alert report from the command line, read from the record store the server is configured with (the same
 * config/default.json + CDS_CONFIG + environment, so DATABASE_URL selects PostgreSQL as it does for the
 * server):
 *
 *   npm run report -- --from 2026-01-01 --to 2026-03-31 [--service ID] --format html|csv|json --out FILE
 *
 * The file is written atomically (a temporary file beside it, then renamed), so a reader never sees half a
 * report. Exit codes: 0 written; 1 the store could not be read or the file not written; 2 bad arguments;
 * 78 invalid configuration (as the server).
 */
import fs from 'node:fs';
import path from 'node:path';
import { RULES } from '../src/clinical/rules/catalogue';
import { DATA_INCOMPLETE_CODE } from '../src/clinical/incomplete';
import { VERIFICATION_SUMMARY_CODE } from '../src/clinical/verification';
import { ConfigError, loadConfig, type AppConfig } from '../src/config';
import { computeAlertReport } from '../src/governance/analytics';
import { RULES_PATH } from '../src/governance/links';
import { parsePeriod } from '../src/governance/period';
import { renderAlertReportCsv } from '../src/governance/report-csv';
import { renderAlertReportPage } from '../src/governance/report-html';
import type { AlertReport, PeriodQuery } from '../src/governance/types';
import { createLogger } from '../src/logger';
import { NO_METRICS } from '../src/metrics/types';
import { loadServices } from '../src/protocol/services';
import { openCardStore } from '../src/store';

export const USAGE = `usage: npm run report -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--service ID] [--format html|csv|json] --out FILE

  --from     first day of the period (UTC, inclusive); default: 89 days before --to
  --to       last day of the period (UTC, inclusive); default: today
  --service  only this CDS service (an id from hooks/); default: all services
  --format   html, csv or json; default: from the extension of --out
  --out      the file to write (replaced atomically)
  --help     this text

The record store and the analytics settings come from the configuration, as for the server
(config/default.json, CDS_CONFIG, DATABASE_URL).`;

export const FORMATS = ['html', 'csv', 'json'] as const;
export type ReportFormat = (typeof FORMATS)[number];

export interface ReportArgs {
  query: PeriodQuery;
  format: ReportFormat;
  out: string;
}

export type ParsedArgs = { kind: 'help' } | { kind: 'run'; args: ReportArgs } | { kind: 'error'; problems: string[] };

const OPTIONS = new Set(['from', 'to', 'service', 'format', 'out']);

function isFormat(value: string): value is ReportFormat {
  return (FORMATS as readonly string[]).includes(value);
}

/**
 * The command line (without node and the script), checked completely: every problem is reported. `--name value`
 * and `--name=value` both work; an option given twice is a problem rather than a silent last-one-wins.
 */
export function parseArgs(argv: readonly string[], now: Date): ParsedArgs {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  const problems: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--([a-z]+)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) {
      problems.push(`unexpected argument ${JSON.stringify(arg)}`);
      continue;
    }
    const name = m[1] as string;
    if (!OPTIONS.has(name)) {
      problems.push(`unknown option --${name}`);
      if (m[2] === undefined && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('--')) i++;
      continue;
    }
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        problems.push(`--${name} needs a value`);
        continue;
      }
      value = next;
      i++;
    }
    if (values.has(name)) problems.push(`--${name} is given more than once`);
    else values.set(name, value);
  }

  const period = parsePeriod({ from: values.get('from'), to: values.get('to'), service: values.get('service') }, now);
  // parsePeriod names its parameters ("from: …"); here they are options.
  if (!period.ok) problems.push(...period.problems.map((p) => p.replace(/^(from|to|service):/, '--$1:')));

  const out = values.get('out');
  if (out === undefined || out === '') problems.push('--out is required: the file to write');
  let format = values.get('format');
  if (format === undefined && out) {
    const ext = path.extname(out).slice(1).toLowerCase();
    if (isFormat(ext)) format = ext;
    else problems.push(`--format is required (the extension of --out is not html, csv or json)`);
  }
  if (format !== undefined && !isFormat(format)) problems.push(`--format: expected html, csv or json, got ${JSON.stringify(format)}`);

  if (problems.length > 0 || !period.ok || out === undefined || format === undefined || !isFormat(format)) return { kind: 'error', problems };
  return { kind: 'run', args: { query: period.query, format, out } };
}

/** The catalogue (titles and indicators), plus the two codes the services issue outside it. */
function catalogue(): { rules: Array<{ id: string; title: string }>; indicators: Record<string, string> } {
  const indicators: Record<string, string> = Object.fromEntries(RULES.map((r) => [r.id, r.indicator]));
  indicators[VERIFICATION_SUMMARY_CODE] = 'info';
  indicators[DATA_INCOMPLETE_CODE] = 'info';
  return { rules: RULES.map((r) => ({ id: r.id, title: r.title })), indicators };
}

export function renderReport(report: AlertReport, format: ReportFormat, config: AppConfig): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (format === 'csv') return renderAlertReportCsv(report, { suppressBelow: config.analytics.suppressBelow });
  // A file has no page URL: no period links; rule ids link to the public catalogue when its address is known.
  const catalogueUrl = config.publicBaseUrl ? `${config.publicBaseUrl}${RULES_PATH}` : undefined;
  return renderAlertReportPage(report, { ruleIndicators: catalogue().indicators, navigation: false, ...(catalogueUrl ? { catalogueUrl } : {}) }).html;
}

/** Replace `file` with `content` so that readers see the old file or the new one, never a part. */
export function writeAtomically(file: string, content: string): void {
  const target = path.resolve(file);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temporary, content, { encoding: 'utf8', flag: 'wx' });
    fs.renameSync(temporary, target);
  } catch (e) {
    fs.rmSync(temporary, { force: true });
    throw e;
  }
}

class Failure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function run(argv: readonly string[]): Promise<void> {
  const parsed = parseArgs(argv, new Date());
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (parsed.kind === 'error') throw new Failure(`${parsed.problems.map((p) => `report: ${p}`).join('\n')}\n\n${USAGE}`, 2);
  const { query, format, out } = parsed.args;

  let config: AppConfig;
  let serviceIds: string[];
  try {
    config = loadConfig();
    serviceIds = loadServices().list.map((s) => s.id);
  } catch (e) {
    if (e instanceof ConfigError) throw new Failure(`report: ${e.message}`, 78);
    throw e;
  }
  if (query.service !== undefined && !serviceIds.includes(query.service)) {
    throw new Failure(`report: --service: unknown service ${JSON.stringify(query.service)}; known: ${serviceIds.join(', ')}\n\n${USAGE}`, 2);
  }
  // The server would create an empty SQLite file; a report from a mistyped path must not look like "no alerts".
  if (!config.store.databaseUrl && config.store.path !== ':memory:' && !fs.existsSync(config.store.path)) {
    throw new Failure(`report: no record store at ${config.store.path} (store.path); is CDS_CONFIG or DATABASE_URL set as for the server?`, 1);
  }

  const logger = createLogger('warn', { stream: process.stderr });
  const opened = openCardStore(config.store, { logger, metrics: NO_METRICS });
  let report: AlertReport;
  try {
    await opened.ready;
    const rows = await opened.store.periodRows(query);
    report = computeAlertReport(rows, query, { ...config.analytics, generatedAt: new Date(), rules: catalogue().rules });
  } catch (e) {
    throw new Failure(`report: cannot read the ${opened.kind} record store: ${reason(e)}`, 1);
  } finally {
    await opened.store.close().catch(() => undefined);
  }

  try {
    writeAtomically(out, renderReport(report, format, config));
  } catch (e) {
    throw new Failure(`report: cannot write ${out}: ${reason(e)}`, 1);
  }
  const cards = report.rules.reduce((sum, r) => sum + r.cards, 0);
  process.stdout.write(`wrote ${out} (${report.evaluations} evaluations, ${cards} cards, ${report.from}..${report.to})\n`);
}

if (require.main === module) {
  run(process.argv.slice(2))
    .then(
      () => {
        process.exitCode = 0;
      },
      (e: unknown) => {
        // Expected failures carry their message and code; anything else is reported without a stack trace too.
        process.stderr.write(`${e instanceof Failure ? e.message : `report: ${reason(e)}`}\n`);
        process.exitCode = e instanceof Failure ? e.exitCode : 1;
      },
    )
    .finally(() => {
      // Everything is closed, so the process ends by itself; should a driver keep a handle open, do not hang
      // a cron job over it (unref: this timer alone keeps nothing alive).
      setTimeout(() => process.exit(), 3000).unref();
    });
}
