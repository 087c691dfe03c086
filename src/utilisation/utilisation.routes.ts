/** Utilisation over time (issue 6): the history of a site or range, and on-demand snapshots. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { customerScope } from '../auth/principal.js';
import { actorOf, principalOf } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { errorResponses, Nullable, Uuid } from '../http/schemas.js';
import { DEFAULT_DAYS, MAX_DAYS, type UtilisationService } from './utilisation.service.js';

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', examples: ['2026-01-15'] });

const HistoryPoint = Type.Object({
  day: Day,
  total: Type.Integer(),
  available: Type.Integer(),
  coolingOff: Type.Integer(),
  reserved: Type.Integer(),
  active: Type.Integer(),
  assigned: Type.Integer(),
});

const tags = ['utilisation'];

export const utilisationRoutes: FastifyPluginAsyncTypebox<{
  utilisation: UtilisationService;
}> = async (app, { utilisation }) => {
  app.get(
    '/utilisation/history',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary:
          'Daily counts by state of one site or range (give exactly one of siteId and rangeId); a customer-scoped caller sees only its own holdings at a site',
        querystring: Type.Object(
          {
            siteId: Type.Optional(Uuid),
            rangeId: Type.Optional(Uuid),
            from: Type.Optional(
              Type.String({
                maxLength: 10,
                description: `First day, YYYY-MM-DD (default: ${DEFAULT_DAYS} days before to)`,
              }),
            ),
            days: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: MAX_DAYS,
                description: 'Instead of from: this many days up to and including to',
              }),
            ),
            to: Type.Optional(
              Type.String({
                maxLength: 10,
                description: `Last day, YYYY-MM-DD (default: today, UTC); at most ${MAX_DAYS} days after from`,
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            scope: Type.Object({
              type: Type.Union([Type.Literal('site'), Type.Literal('range')]),
              id: Uuid,
              name: Type.String(),
            }),
            customerId: Nullable(Uuid),
            from: Day,
            to: Day,
            items: Type.Array(HistoryPoint, {
              description:
                'One point per day with a snapshot, oldest first; days without one are absent',
            }),
          }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (req) => utilisation.history(principalOf(req), req.query),
  );

  app.post(
    '/utilisation/snapshots',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary:
          "Take today's utilisation snapshot now (the worker takes one every day); again on the same day replaces it",
        response: {
          201: Type.Object({ day: Day, rows: Type.Integer() }),
          ...errorResponses(403),
        },
      },
    },
    async (req, reply) => {
      if (customerScope(principalOf(req)) !== null)
        throw new AppError('FORBIDDEN', 'snapshots are taken by the operator');
      reply.code(201);
      return utilisation.snapshot(actorOf(req));
    },
  );
};
