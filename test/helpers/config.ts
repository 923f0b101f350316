/** Test configuration: config/default.json with auth off, an in-memory store and any overrides. */
import fs from 'node:fs';
import path from 'node:path';
import { mergeConfig, parseConfig, type AppConfig } from '../../src/config';

type Json = Parameters<typeof mergeConfig>[0];

export const DEFAULT_CONFIG = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../config/default.json'), 'utf8')) as Json;

/** Default config with auth off, in-memory store and any overrides merged in (objects merge, arrays replace). */
export function testConfig(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): AppConfig {
  const base = mergeConfig(DEFAULT_CONFIG, { auth: { required: false }, store: { path: ':memory:' }, log: { level: 'error' } });
  return parseConfig(mergeConfig(base, overrides as Json), env);
}

