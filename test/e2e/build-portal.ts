/**
 * Global setup of the e2e project: make sure portal/dist is the build of the
 * current portal sources (a stale build would test old code). Builds only
 * when a source file is newer than portal/dist/index.html.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const portal = path.join(root, 'portal');

function newest(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...fs.readdirSync(p).map((f) => newest(path.join(p, f))));
}

export default function setup() {
  const built = path.join(portal, 'dist', 'index.html');
  const sources = Math.max(
    newest(path.join(portal, 'src')),
    newest(path.join(portal, 'index.html')),
    newest(path.join(portal, 'vite.config.ts')),
  );
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) return;
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      path.join(portal, 'vite.config.ts'),
      '--logLevel',
      'warn',
    ],
    // vitest sets NODE_ENV=test; vite would inherit it and build React's
    // development bundle (887 kB instead of 640 kB, ~3x the render CPU), which the
    // e2e tests and then bench/portal.ts (it reuses a fresh build) would run.
    { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (r.status !== 0) throw new Error(`building the portal failed (exit ${r.status})`);
}
