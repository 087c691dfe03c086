// ESLint flat config (ESLint 10, typescript-eslint 8). Run by `npm run check`.
//
// Type-aware: the project service reads the nearest tsconfig.json of each
// file, so the rules below see the same types as `tsc --noEmit`. The four
// rules STYLE.md names ("Tooling") are errors; everything else comes from the
// recommended sets.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Build output, dependencies, local data (embedded PostgreSQL) and reports.
  globalIgnores(['dist/', 'node_modules/', '.numbat/', 'portal/dist/', 'coverage/', 'bench/data/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error (an unhandled rejection kills
      // Node 20). Fire-and-forget must be written `void p` on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a void callback is expected (event emitters,
      // Array#forEach) runs unawaited and unobserved.
      '@typescript-eslint/no-misused-promises': 'error',
      // Adding a member to a union (an action, a status, a holder type) must
      // break every switch that does not handle it yet. Switches with a
      // `default` are left alone: they chose to handle the rest.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      // `import type` keeps type-only imports out of the emitted ESM
      // (tsconfig sets verbatimModuleSyntax, so tsc insists too).
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      // Noise here: Fastify wants plugins and hooks to be async functions
      // (or take a `done` callback), and many of ours have nothing to await
      // (`async (app) => { app.get(…) }`). Dropping `async` would change how
      // Fastify runs them; the rule would only push us to add `await`s.
      '@typescript-eslint/require-await': 'off',
      // `_`-prefixed names are deliberately unused (Fastify handlers that take
      // `(_req, reply)`, destructuring that drops a field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Tests read answers with `res.json()` (light-my-request types it `any`)
    // and check them with `expect`, which validates at run time. The
    // no-unsafe-* family would flag every such assertion; a cast to a DTO
    // type would only claim what `expect` is about to check.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript (this file, bin/numbat.js) is in no tsconfig project:
    // lint it without type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly' },
    },
  },
);
