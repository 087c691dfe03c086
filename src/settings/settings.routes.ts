/** GET / PUT /settings: the operator's settings (admin). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { writeAudit } from '../audit/audit.repository.js';
import { customerScope } from '../auth/principal.js';
import { actorOf, principalOf } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { readSettings, writeSettings, type Settings } from './settings.repository.js';

const Fields = {
  createMainNumberAutomatically: Type.Boolean({
    description:
      'Automatic allocation (SPEC §7) also allocates and nominates a main number (R-40 m = 1). Default true.',
  }),
};
const SettingsSchema = Type.Object(Fields, { additionalProperties: false, $id: 'Settings' });

const tags = ['settings'];

export const settingsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/settings',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary: "The operator's settings",
        response: { 200: SettingsSchema, ...errorResponses(403) },
      },
    },
    async (req) => {
      // Issue 7: the operator's settings are not a customer admin's to read.
      if (customerScope(principalOf(req)) !== null)
        throw new AppError('FORBIDDEN', 'a customer-scoped principal cannot read settings');
      return readSettings(app.db);
    },
  );

  app.put(
    '/settings',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary: 'Change settings (only the fields given)',
        body: Type.Partial(Type.Object(Fields), { additionalProperties: false }),
        response: { 200: SettingsSchema, ...errorResponses(400, 403) },
      },
    },
    async (req) => {
      if (customerScope(principalOf(req)) !== null)
        throw new AppError('FORBIDDEN', 'a customer-scoped principal cannot change settings');
      const actor = actorOf(req);
      const body = req.body as Partial<Settings>;
      return app.db.transaction().execute(async (trx) => {
        const before = await readSettings(trx);
        await writeSettings(trx, body);
        const after = await readSettings(trx);
        const changes: Record<string, [unknown, unknown]> = {};
        for (const k of Object.keys(body) as (keyof Settings)[])
          if (before[k] !== after[k]) changes[k] = [before[k], after[k]];
        if (Object.keys(changes).length)
          await writeAudit(trx, actor, [
            {
              action: 'settings.update',
              objectType: 'settings',
              objectId: 'operator',
              customerId: null,
              changes,
            },
          ]);
        return after;
      });
    },
  );
};
