/** Fails at once, with the fix, when the browser is not installed (never skips the browser tests). */
import fs from 'node:fs';
import { CHROMIUM } from './browser';

export default function globalSetup(): void {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser tests need Debian's Chromium (apt-get install -y chromium; bash .ci/run installs it)`);
  }
}
