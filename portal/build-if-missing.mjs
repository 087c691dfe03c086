// `npm start` on a fresh clone: build the portal once when portal/dist is
// missing (it is git-ignored). `npm run build:portal` rebuilds it on purpose.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
if (existsSync(path.join(here, 'dist', 'index.html'))) process.exit(0);
console.error('portal/dist is missing: building the portal (once) …');
const r = spawnSync(
  process.execPath,
  [
    path.join(here, '..', 'node_modules', 'vite', 'bin', 'vite.js'),
    'build',
    '--config',
    path.join(here, 'vite.config.ts'),
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
