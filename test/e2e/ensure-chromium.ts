/**
 * The portal is tested in Debian's Chromium (test tools' own browser
 * downloads fail here). On a fresh machine it is not installed yet: as root
 * with apt-get we install it, so `npm test` works with nothing installed by
 * hand; otherwise we stop with the command to run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default function ensureChromium(): void {
  if (fs.existsSync(CHROMIUM)) return;
  const canApt = process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0;
  if (!canApt) {
    throw new Error(
      `The portal tests need Chromium at ${CHROMIUM}. Install it (Debian: "sudo apt-get install chromium") ` +
        'or set CHROMIUM_PATH.',
    );
  }
  console.error('Installing Debian’s chromium for the portal tests (apt-get, once) …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], {
    stdio: 'inherit',
    env,
  });
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`apt-get installed chromium, but ${CHROMIUM} is still missing`);
}
