/**
 * FHIR references as the data layer reads them: the "Type/id" a literal reference names
 * (relativeReference), and which Medication, if any, a reference lets a request read from its FHIR server
 * (medicationTarget).
 */

/**
 * "Type/id" at the end of a reference, optionally followed by "/_history/<version>" and a trailing slash.
 * The type is a FHIR resource type name, the id FHIR id syntax (1–64 of A–Z a–z 0–9 - .).
 */
const RELATIVE_REFERENCE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?\/?$/;

/** The same, for a text that is exactly a relative reference (nothing before the type). */
const EXACT_RELATIVE_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?\/?$/;

/**
 * "Medication/abc" from "Medication/abc", "https://x/fhir/Medication/abc/_history/2" etc. (the trimmed text
 * ends with "Type/id"); undefined for anything else (contained "#id", "urn:uuid:…", not a string).
 */
export function relativeReference(reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined;
  const m = RELATIVE_REFERENCE.exec(reference.trim());
  return m ? `${m[1]}/${m[2]}` : undefined;
}

export type MedicationTarget = { ok: true; id: string } | { ok: false; reason: string };

const NOT_READABLE: MedicationTarget = { ok: false, reason: 'the Medication reference is not readable on this FHIR server' };

/**
 * Which Medication a reference lets this request read (`base`: the request's fhirServer without a trailing
 * slash, or undefined when it has none, in which case absolute references are not readable):
 *  - relative "Medication/<id>" (optionally "/_history/<v>": the current version is read);
 *  - an absolute URL on the origin of `base`, under its path, whose remaining path is "Medication/<id>"
 *    (optionally "/_history/<v>"), without query, fragment or credentials;
 *  - anything else (contained "#id", "urn:uuid:…", another server, another resource type, an id of dots
 *    only) is not readable. The reason never contains the reference (it may carry a URL).
 */
export function medicationTarget(reference: string, base: string | undefined): MedicationTarget {
  const text = reference.trim();
  let path = text;
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    if (base === undefined) return NOT_READABLE;
    let url: URL;
    let baseUrl: URL;
    try {
      url = new URL(text);
      baseUrl = new URL(`${base}/`);
    } catch {
      return NOT_READABLE;
    }
    if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return NOT_READABLE;
    if (url.origin !== baseUrl.origin || !url.pathname.startsWith(baseUrl.pathname)) return NOT_READABLE;
    path = url.pathname.slice(baseUrl.pathname.length);
  }
  const m = EXACT_RELATIVE_REFERENCE.exec(path);
  const id = m?.[2];
  // An id of dots only would walk up the URL path once appended to the base.
  if (m?.[1] !== 'Medication' || id === undefined || /^\.+$/.test(id)) return NOT_READABLE;
  return { ok: true, id };
}
