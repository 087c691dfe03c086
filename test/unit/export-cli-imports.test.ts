/**
 * `numbat export` starts with only the modules an export needs: loading the
 * whole application (app.ts, every route) cost ~0.35 s of CPU per run, most
 * of the gap between the export and `psql \copy` at 1M rows (bench E1,
 * docs/decisions.md). This walks the static imports (not `import type`, not
 * `await import()`) from the command's entry points and fails when one of
 * them pulls in the application again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Relative modules a source file imports at load time. */
function staticImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  // `import x from '…'`, `import { a, b } from '…'` (also across lines), `export … from '…'`;
  // skips `import type` and `export type`.
  const re = /^(?:import|export)\s+(?!type\s)[^;]*?from\s+'(\.{1,2}\/[^']+)';/gms;
  for (const m of text.matchAll(re)) {
    out.push(path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

function closure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...staticImports(f));
  }
  return seen;
}

describe('numbat export start-up', () => {
  it('the CLI and the export command load no route module, app.ts or server.ts', () => {
    const loaded = [
      ...closure([path.join(SRC, 'cli.ts'), path.join(SRC, 'exports/exports.cli.ts')]),
    ].map((f) => path.relative(SRC, f));
    expect(loaded).toContain('exports/exports.service.ts');
    expect(loaded).toContain('numbers/numbers.list.ts');
    const heavy = loaded.filter(
      (f) => f === 'app.ts' || f === 'server.ts' || f.endsWith('.routes.ts'),
    );
    expect(heavy).toEqual([]);
  });
});
