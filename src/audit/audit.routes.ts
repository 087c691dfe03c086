import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { customerScope } from '../auth/principal.js';
import { principalOf } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { DateTime, errorResponses, Nullable, PageQuery, Uuid } from '../http/schemas.js';
import { listAudit } from './audit.repository.js';
import { AuditEventSchema, presentAudit } from './audit.presenter.js';
import { toPage } from '../http/page.js';

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit-events',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit events, newest first (SPEC §11); customer-scoped callers see their own',
        querystring: Type.Object(
          {
            ...PageQuery,
            objectType: Type.Optional(Type.String({ maxLength: 50 })),
            objectId: Type.Optional(Type.String({ maxLength: 100 })),
            customerId: Type.Optional(Uuid),
            action: Type.Optional(Type.String({ maxLength: 100 })),
            principalId: Type.Optional(Type.String({ maxLength: 100 })),
            from: Type.Optional(DateTime),
            to: Type.Optional(DateTime),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(AuditEventSchema),
            nextCursor: Nullable(Type.String()),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const own = customerScope(principalOf(req));
      if (own && q.customerId && q.customerId !== own) return { items: [], nextCursor: null };
      const before = q.cursor !== undefined ? Number(q.cursor) : undefined;
      if (before !== undefined && !Number.isInteger(before)) {
        throw new AppError('VALIDATION_FAILED', 'invalid cursor', {}, [
          { field: 'cursor', message: 'invalid' },
        ]);
      }
      const limit = q.limit ?? 100;
      const rows = await listAudit(app.db, {
        objectType: q.objectType,
        objectId: q.objectId,
        customerId: own ?? q.customerId,
        action: q.action,
        principalId: q.principalId,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        beforeId: before,
        limit: limit + 1,
        scopedTo: own ?? undefined,
      });
      return toPage(rows, limit, presentAudit, (last) => String(last.id));
    },
  );
};
