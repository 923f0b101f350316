/** CDS Hooks 2.0.1 response shapes (cards, suggestions, actions, links). */
import type { FhirResource } from 'fhir/r4';

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface Link {
  label: string;
  url: string;
  type: 'absolute' | 'smart';
  appContext?: string;
}

export interface Action {
  type: 'create' | 'update' | 'delete';
  description: string;
  resource?: FhirResource;
  resourceId?: string;
}

export interface Suggestion {
  label: string;
  uuid: string;
  isRecommended?: boolean;
  actions?: Action[];
}

export type Indicator = 'info' | 'warning' | 'critical';

export interface Card {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: Indicator;
  source: { label: string; url?: string; icon?: string; topic?: Coding };
  suggestions?: Suggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: Coding[];
  links?: Link[];
}

export interface CdsResponse {
  cards: Card[];
}
