import { ServerAllowList, checkFhirServer } from '../../../src/fhir/allowlist';

describe('ServerAllowList', () => {
  const list = new ServerAllowList(['http://localhost', 'https://ehr.example.org/fhir/', 'http://127.0.0.1:8080']);

  it.each([
    'http://localhost',
    'http://localhost/',
    'http://localhost:4321/fhir',
    'http://LOCALHOST/r4',
    'https://ehr.example.org/fhir',
    'https://ehr.example.org/fhir/r4',
    'https://ehr.example.org:443/fhir/r4',
    'http://127.0.0.1:8080/fhir',
  ])('allows %s', (url) => {
    expect(list.allows(url)).toBe(true);
  });

  it.each([
    ['a host that merely starts with an allowed host', 'http://localhost.evil.example/fhir'],
    ['a host after userinfo', 'http://localhost@evil.example/fhir'],
    ['credentials in the URL', 'http://user:pw@localhost/fhir'],
    ['another scheme', 'https://localhost/fhir'],
    ['a path that only shares a prefix', 'https://ehr.example.org/fhirx'],
    ['a path outside the allowed one', 'https://ehr.example.org/other/fhir'],
    ['a dot segment climbing out of the allowed path', 'https://ehr.example.org/fhir/../admin'],
    ['another port than the one named', 'http://127.0.0.1:9090/fhir'],
    ['the default port when another is named', 'http://127.0.0.1/fhir'],
    ['a non-http scheme', 'file:///etc/passwd'],
    ['not a URL', 'localhost'],
  ])('rejects %s (%s)', (_why, url) => {
    expect(list.allows(url)).toBe(false);
  });

  it('treats an explicit default port in an entry as that port only', () => {
    const strict = new ServerAllowList(['http://localhost:80']);
    expect(strict.allows('http://localhost/fhir')).toBe(true);
    expect(strict.allows('http://localhost:8080/fhir')).toBe(false);
  });

  it('allows nothing when the list is empty', () => {
    expect(new ServerAllowList([]).allows('http://localhost')).toBe(false);
  });
});

describe('checkFhirServer', () => {
  const list = new ServerAllowList(['http://127.0.0.1']);

  it('gives the base URL without trailing slash and its origin', () => {
    expect(checkFhirServer('http://127.0.0.1:3456/fhir/', list)).toEqual({ ok: true, base: 'http://127.0.0.1:3456/fhir', origin: 'http://127.0.0.1:3456' });
  });

  it.each([
    [undefined, /no fhirServer/],
    ['', /no fhirServer/],
    ['http://127.0.0.1/fhir?x=1', /not a usable base URL/],
    ['http://127.0.0.1/fhir#frag', /not a usable base URL/],
    ['http://127.0.0.1.evil.example/fhir', /allow-list/],
  ])('refuses %s', (server, reason) => {
    const r = checkFhirServer(server, list);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});
