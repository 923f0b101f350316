/**
 * The frame of the service's two HTML pages (the rule catalogue and the alert report): static HTML, no
 * JavaScript, no external assets. The one stylesheet is inline and allowed by its SHA-256 hash, so the
 * Content-Security-Policy names exactly what the page uses and nothing else.
 */
import crypto from 'node:crypto';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value made safe for HTML. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export const BASE_CSS = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2430; background: #fff; }
header { background: #12355b; color: #fff; padding: 14px 28px; }
header h1 { margin: 0; font-size: 20px; font-weight: 600; }
header p { margin: 4px 0 0; opacity: .85; font-size: 13px; }
main { padding: 18px 28px 40px; max-width: 1280px; box-sizing: border-box; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d6dbe3; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 6px 0 14px; }
th, td { border: 1px solid #d6dbe3; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f5f8; padding: 0 3px; border-radius: 3px; }
a { color: #0b5cad; }
.muted { color: #5b6678; }
.small { font-size: 12.5px; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.critical { background: #fbe0e0; color: #8a1414; }
.warning { background: #fff1cc; color: #7a5200; }
.info { background: #e2eefb; color: #10457e; }
.flag { background: #8a1414; color: #fff; }
`;

export interface Page {
  html: string;
  /** The page's own Content-Security-Policy (the API's is default-src 'none'). */
  contentSecurityPolicy: string;
}

/** A complete page: the title, the body HTML (already escaped), and the page's own extra CSS. */
export function renderPage(title: string, subtitle: string, body: string, extraCss = ''): Page {
  const css = BASE_CSS + extraCss;
  const hash = crypto.createHash('sha256').update(css, 'utf8').digest('base64');
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${css}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${escapeHtml(title)}</h1><p>${escapeHtml(subtitle)}</p></header>`,
    `<main>${body}</main>`,
    '</body>',
    '</html>',
  ].join('\n');
  return {
    html,
    // Only the hashed stylesheet; inline SVG needs no source. No scripts, images, fonts, frames or forms.
    contentSecurityPolicy: `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}
