/**
 * STYLE.md "Generated artifacts are committed and CI fails when they drift":
 * the portal's API types must match the OpenAPI document the routes declare.
 */
import fs from 'node:fs/promises';
import { expect, it } from 'vitest';
import { generatePortalApiTypes, SCHEMA_FILE } from '../../scripts/portal-api.js';

it('portal/src/api/schema.ts matches the OpenAPI document (else run `npm run portal:api`)', async () => {
  const committed = await fs.readFile(SCHEMA_FILE, 'utf8');
  const fresh = await generatePortalApiTypes();
  if (committed !== fresh) {
    throw new Error(
      'portal/src/api/schema.ts is out of date with the API routes: run `npm run portal:api` and commit it',
    );
  }
  expect(committed).toContain("'/api/v1/numbers/bulk/{action}'");
}, 30_000);
