/**
 * Alert governance over HTTP: the public rule catalogue (GET /rules, /rules.json: no patient data) and the
 * admin alert report (GET /admin/alerts, .json, .csv) behind the admin token. The catalogue is rendered once
 * at start-up from the configured thresholds; the report is computed per request from the store's rows.
 */
import { Router, type RequestHandler, type Response } from 'express';
import type { AppConfig } from '../config';
import { computeAlertReport } from '../governance/analytics';
import { catalogueJson, type RuleCatalogue } from '../governance/catalogue';
import { renderRuleCataloguePage } from '../governance/catalogue-html';
import { RULES_PATH } from '../governance/links';
import type { Page } from '../governance/page';
import { parsePeriod } from '../governance/period';
import { renderAlertReportCsv } from '../governance/report-csv';
import { renderAlertReportPage } from '../governance/report-html';
import type { AlertReport, GovernanceSource } from '../governance/types';
import { HttpError } from '../protocol/errors';
import type { ServiceRegistry } from '../protocol/services';
import { adminGuard } from './admin-auth';
import { methodNotAllowed } from './errors';

export interface GovernanceRouterDeps {
  catalogue: RuleCatalogue;
  store: GovernanceSource;
  services: ServiceRegistry;
  analytics: AppConfig['analytics'];
  adminToken?: string;
  now?: () => Date;
}

function sendPage(res: Response, page: Page): void {
  // The page's own policy replaces the API's default-src 'none': it allows exactly the page's hashed stylesheet.
  res.setHeader('Content-Security-Policy', page.contentSecurityPolicy);
  res.type('text/html; charset=utf-8').send(page.html);
}

const route =
  (name: 'rules' | 'admin'): RequestHandler =>
  (_req, res, next) => {
    res.locals.scope.route = name;
    next();
  };

export function governanceRouter(deps: GovernanceRouterDeps): Router {
  const now = deps.now ?? (() => new Date());
  const router = Router();
  const cataloguePage = renderRuleCataloguePage(deps.catalogue);
  const catalogueBody = JSON.stringify(catalogueJson(deps.catalogue));
  const serviceIds = [...deps.services.byId.keys()];
  // The report lists the catalogue's rules in order (also those that never fired); the service cards
  // (VERIFICATION_SUMMARY, DATA_INCOMPLETE) join it when they were issued in the period.
  const ruleTitles = deps.catalogue.rules.map((r) => ({ id: r.id, title: r.title }));
  const indicators = Object.fromEntries([...deps.catalogue.rules, ...deps.catalogue.specialCards].map((r) => [r.id, r.indicator]));

  router.get(RULES_PATH, route('rules'), (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    sendPage(res, cataloguePage);
  });
  router.get(`${RULES_PATH}.json`, route('rules'), (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(catalogueBody);
  });
  router.all([RULES_PATH, `${RULES_PATH}.json`], methodNotAllowed('GET'));

  const guard = adminGuard(deps.adminToken);
  const report = async (query: Record<string, unknown>): Promise<AlertReport> => {
    const parsed = parsePeriod(query, now(), serviceIds);
    if (!parsed.ok) throw new HttpError(400, parsed.problems.map((diagnostics) => ({ severity: 'error', code: 'invalid', diagnostics })));
    const rows = await deps.store.periodRows(parsed.query);
    return computeAlertReport(rows, parsed.query, { ...deps.analytics, generatedAt: now(), rules: ruleTitles });
  };
  const admin = (render: (r: AlertReport, res: Response) => void): RequestHandler[] => [
    route('admin'),
    guard,
    async (req, res, next) => {
      try {
        render(await report(req.query), res);
      } catch (e) {
        next(e);
      }
    },
  ];

  router.get(
    '/admin/alerts',
    ...admin((r, res) => sendPage(res, renderAlertReportPage(r, { ruleIndicators: indicators, catalogueUrl: RULES_PATH, serviceIds }))),
  );
  router.get(
    '/admin/alerts.json',
    ...admin((r, res) => res.type('application/json').send(JSON.stringify(r))),
  );
  router.get(
    '/admin/alerts.csv',
    ...admin((r, res) => {
      res.setHeader('Content-Disposition', `attachment; filename="alerts-${r.from}-${r.to}.csv"`);
      res.type('text/csv; charset=utf-8').send(renderAlertReportCsv(r, { suppressBelow: deps.analytics.suppressBelow }));
    }),
  );
  // An unconfigured admin area stays invisible to every method; a configured one names GET.
  router.all(['/admin/alerts', '/admin/alerts.json', '/admin/alerts.csv'], route('admin'), guard, methodNotAllowed('GET'));
  return router;
}
