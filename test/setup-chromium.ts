// Debian's Chromium for the HTML report test, installed by the test set-up with apt-get (we and CI
// run as root); playwright-core only drives it, it downloads nothing. No network means the test
// fails with this message rather than being skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

/** The flags the browser runs with (plus a fresh --user-data-dir, which playwright passes itself). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Installs Debian's chromium package when /usr/bin/chromium is missing; throws a clear error if that fails. */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const r = spawnSync('sh', ['-c', 'apt-get update && apt-get install -y chromium'], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 15 * 60 * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0 || !existsSync(CHROMIUM)) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new Error(
      `The HTML report test needs Debian's Chromium at ${CHROMIUM}, which is missing, and installing it failed ` +
        `("apt-get update && apt-get install -y chromium" exited with ${r.status ?? r.signal ?? r.error?.message}). ` +
        `Is the package registry reachable, and are we root? Install it by hand and run the tests again.\n${tail}`,
    );
  }
  return CHROMIUM;
}

/** A fresh, empty profile directory for one browser run. */
export function freshUserDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'caffe2-int8-chromium-'));
}
