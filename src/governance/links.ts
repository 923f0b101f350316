/**
 * Where cards point for "why this alert": every card's source.url is its rule's anchor on the public rule
 * catalogue page (/rules#RULE_ID), so a prescriber or a committee member lands on the rule, its configured
 * thresholds and its evidence.
 */
import type { Request } from 'express';
import type { Card } from '../protocol/cards';

export const RULES_PATH = '/rules';

// A Host header fit to appear in a link (development only: production requires publicBaseUrl).
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** The externally visible base URL: publicBaseUrl, else (development) the request's own scheme and host. */
export function externalBaseUrl(req: Request, publicBaseUrl: string | undefined): string | undefined {
  if (publicBaseUrl) return publicBaseUrl;
  const host = req.get('host');
  return host && SAFE_HOST.test(host) ? `${req.protocol}://${host}` : undefined;
}

/** The catalogue page's absolute URL for this base. */
export function rulesPageUrl(baseUrl: string): string {
  return `${baseUrl}${RULES_PATH}`;
}

/** Point each card's source at its rule's anchor on the catalogue page. */
export function linkCardsToCatalogue(cards: Card[], baseUrl: string | undefined): void {
  if (!baseUrl) return;
  const page = rulesPageUrl(baseUrl);
  for (const card of cards) {
    const code = card.source.topic?.code;
    if (code) card.source.url = `${page}#${encodeURIComponent(code)}`;
  }
}
