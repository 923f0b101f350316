import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, mergeConfig, parseConfig } from '../../src/config';
import { DEFAULT_CONFIG } from '../helpers/config';

function tmpJson(value: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cds-config-')), 'config.json');
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('configuration', () => {
  it('loads the embedded development defaults with no environment', () => {
    const cfg = loadConfig({});
    expect(cfg.server.port).toBe(3000);
    expect(cfg.server.host).toBe('127.0.0.1');
    expect(cfg.clinical.labLookbackDays).toBe(30);
    expect(cfg.auth.trustedClients.map((c) => c.iss)).toContain('https://sandbox.cds-hooks.org');
  });

  it('overlays the CDS_CONFIG file and the PORT, HOST, LOG_LEVEL variables', () => {
    const file = tmpJson({ clinical: { labLookbackDays: 14 }, cors: { allowedOrigins: ['https://ehr.example.org'] } });
    const cfg = loadConfig({ CDS_CONFIG: file, PORT: '8080', HOST: '0.0.0.0', LOG_LEVEL: 'debug' });
    expect(cfg.clinical.labLookbackDays).toBe(14);
    expect(cfg.clinical.progressionWindowDays).toBe(180);
    expect(cfg.cors.allowedOrigins).toEqual(['https://ehr.example.org']);
    expect(cfg.server.port).toBe(8080);
    expect(cfg.server.host).toBe('0.0.0.0');
    expect(cfg.log.level).toBe('debug');
  });

  it('rejects an unknown key, naming it', () => {
    const file = tmpJson({ clinical: { labLookbackDayz: 14 } });
    expect(() => loadConfig({ CDS_CONFIG: file })).toThrow(/unknown key\(s\) "clinical\.labLookbackDayz"/);
  });

  it('rejects a bad value, naming its path', () => {
    const file = tmpJson({ clinical: { renal: { mildCapMg: -600 } } });
    expect(() => loadConfig({ CDS_CONFIG: file })).toThrow(/clinical\.renal\.mildCapMg/);
  });

  it('rejects a PORT that is not a number', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
  });

  it('rejects a CDS_CONFIG file that is not JSON, naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cds-config-'));
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, '{ not json');
    expect(() => loadConfig({ CDS_CONFIG: file })).toThrow(/broken\.json is not valid JSON/);
  });

  it('refuses production without publicBaseUrl', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/publicBaseUrl: required in production/);
  });

  it('refuses production that trusts the development sandbox issuer or plain-http FHIR servers', () => {
    const base = mergeConfig(DEFAULT_CONFIG, { publicBaseUrl: 'https://cds.example.org', cors: { allowedOrigins: ['https://ehr.example.org'] } });
    expect(() => parseConfig(base, { NODE_ENV: 'production' })).toThrow(/auth\.trustedClients\[0\]\.iss: the development issuer "https:\/\/sandbox\.cds-hooks\.org" must not be trusted/);
    const prodClients = mergeConfig(base, {
      auth: { trustedClients: [{ iss: 'https://ehr.example.org', jwksUrl: 'https://ehr.example.org/.well-known/jwks.json' }] },
    });
    expect(() => parseConfig(prodClients, { NODE_ENV: 'production' })).toThrow(/^invalid production configuration \(2 problems\): fhir\.allowedServers\[0\]: only https FHIR servers.*; fhir\.allowedServers\[1\]: /);
    const ok = mergeConfig(prodClients, { fhir: { allowedServers: ['https://fhir.example.org/r4'] } });
    expect(parseConfig(ok, { NODE_ENV: 'production' }).publicBaseUrl).toBe('https://cds.example.org');
  });

  it('refuses production with no trusted client', () => {
    const cfg = mergeConfig(DEFAULT_CONFIG, {
      publicBaseUrl: 'https://cds.example.org',
      cors: { allowedOrigins: ['https://ehr.example.org'] },
      fhir: { allowedServers: ['https://fhir.example.org'] },
      auth: { trustedClients: [] },
    });
    expect(() => parseConfig(cfg, { NODE_ENV: 'production' })).toThrow(/^invalid production configuration \(1 problem\): auth\.trustedClients: production needs at least one trusted client$/);
  });

  it('ships a production example that validates in production', () => {
    const example = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../config/production.example.json'), 'utf8'));
    const cfg = parseConfig(mergeConfig(DEFAULT_CONFIG, example), { NODE_ENV: 'production' });
    expect(cfg.auth.required).toBe(true);
  });

  it('never merges __proto__ keys from an overlay', () => {
    const merged = mergeConfig({ a: 1 }, JSON.parse('{"__proto__": {"polluted": true}, "b": 2}')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(merged).toEqual({ a: 1, b: 2 });
  });
});

describe('clinical configuration cross-checks', () => {
  const withClinical = (clinical: Record<string, unknown>) => () => loadConfig({ CDS_CONFIG: tmpJson({ clinical }) });

  it('stops start-up naming both keys when standardDoseMg > highDoseMg', () => {
    expect(withClinical({ standardDoseMg: 900 })).toThrow(/clinical\.highDoseMg: must be at least clinical\.standardDoseMg \(900\), got 800/);
  });

  it('stops start-up when highDoseMg > maxDoseMg', () => {
    expect(withClinical({ maxDoseMg: 600 })).toThrow(/clinical\.maxDoseMg: must be at least clinical\.highDoseMg \(800\), got 600/);
  });

  it('stops start-up when the renal bands are out of order', () => {
    expect(withClinical({ renal: { moderateBelow: 70 } })).toThrow(/clinical\.renal\.mildBelow: must be above clinical\.renal\.moderateBelow \(70\), got 60/);
  });

  it('stops start-up when a hold resumes below its hold threshold', () => {
    expect(withClinical({ hematologic: { ancResumeAtLeast: 0.5 } })).toThrow(/clinical\.hematologic\.ancResumeAtLeast: must be at least clinical\.hematologic\.ancHoldBelow \(1\), got 0\.5/);
  });

  it('stops start-up when a reduced dose after the hepatotoxicity hold is not a reduction', () => {
    const table = [{ fromMg: 400, toMg: 400 }];
    expect(withClinical({ hepatic: { reducedDoseAfterHold: table } })).toThrow(/clinical\.hepatic\.reducedDoseAfterHold\.0\.toMg: must be below/);
  });

  it('reports every bad combination at once', () => {
    expect(withClinical({ standardDoseMg: 900, renal: { moderateBelow: 70 } })).toThrow(/highDoseMg.*mildBelow/s);
  });

  it('accepts the shipped defaults and carries the resume doses and the reduction table', () => {
    const c = loadConfig({}).clinical;
    expect(c.hematologic.recurrenceResumeDoseMg).toBe(300);
    expect(c.hepatic.reducedDoseAfterHold).toEqual([
      { fromMg: 400, toMg: 300 },
      { fromMg: 600, toMg: 400 },
      { fromMg: 800, toMg: 600 },
    ]);
  });
});
