/**
 * Builds the Fastify application: plugins, error mapping, OpenAPI, routes.
 * No listening, no database start: server.ts and the tests do that.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { auditRoutes } from './audit/audit.routes.js';
import { AuditEventSchema } from './audit/audit.presenter.js';
import { tokensRoutes } from './auth/tokens.routes.js';
import { createTokensService } from './auth/tokens.service.js';
import type { Config } from './config.js';
import { customersRoutes } from './customers/customers.routes.js';
import { createCustomersService } from './customers/customers.service.js';
import type { Db } from './db/pool.js';
import { createMetrics, healthRoutes } from './health/health.routes.js';
import { exportsRoutes } from './exports/exports.routes.js';
import { importsRoutes } from './imports/imports.routes.js';
import { jobsRoutes } from './jobs/jobs.routes.js';
import auth from './http/auth.js';
import { toProblem } from './http/errors.js';
import idempotency from './http/idempotency.js';
import { Problem } from './http/schemas.js';
import { NumberSchema } from './numbers/numbers.presenter.js';
import { numbersRoutes } from './numbers/numbers.routes.js';
import { createNumbersService } from './numbers/numbers.service.js';
import { portalRoutes } from './portal/portal.routes.js';
import { rangesRoutes } from './ranges/ranges.routes.js';
import { routingRoutes } from './routing/routing.routes.js';
import { createRangesService } from './ranges/ranges.service.js';
import { sitesRoutes } from './sites/sites.routes.js';
import { addressesRoutes } from './addresses/addresses.routes.js';
import { createAddressesService } from './addresses/addresses.service.js';
import { consentsRoutes } from './consents/consents.routes.js';
import { createConsentsService } from './consents/consents.service.js';
import { servicesRoutes } from './services/services.routes.js';
import { createServicesService } from './services/services.service.js';
import { settingsRoutes } from './settings/settings.routes.js';
import { createSitesService } from './sites/sites.service.js';
import { authRoutes } from './users/auth.routes.js';
import { usersRoutes } from './users/users.routes.js';
import { createUsersService } from './users/users.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

export interface AppOptions {
  db: Db;
  config: Pick<Config, 'coolingOffDays' | 'coolingOffDaysByCountry' | 'logLevel'>;
  /** Injected clock (tests); default the system clock. */
  now?: () => Date;
  logger?: boolean;
  /** The pg pool behind `db`: imports and exports need a raw connection (COPY). */
  pool?: pg.Pool;
}

export function createServices(db: Db, config: AppOptions['config'], now: () => Date) {
  const numbers = createNumbersService({
    db,
    now,
    coolingOffDays: (country) => config.coolingOffDaysByCountry[country] ?? config.coolingOffDays,
  });
  const services = createServicesService({ db, numbers, now });
  return {
    numbers,
    ranges: createRangesService({ db }),
    sites: createSitesService({ db }),
    customers: createCustomersService({ db, numbers }),
    tokens: createTokensService({ db }),
    services,
    consents: createConsentsService({ db, services }),
    addresses: createAddressesService({ db }),
    users: createUsersService({ db, now }),
  };
}

export type Services = ReturnType<typeof createServices>;

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const now = opts.now ?? (() => new Date());
  const app = Fastify({
    logger:
      opts.logger === false
        ? false
        : {
            level: opts.config.logLevel,
            // Secrets never reach the logs (issue 7): no auth headers, no bodies.
            redact: ['req.headers.authorization', 'req.headers.cookie'],
          },
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,100}$/.test(incoming)
        ? incoming
        : randomUUID();
    },
    bodyLimit: 10 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // An empty JSON body (e.g. a lifecycle action without options) means "no
  // body", not an error; anything else goes through Fastify's safe parser.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    void parseJson(req, text, done);
  });

  app.decorate('db', opts.db);
  const services = createServices(opts.db, opts.config, now);
  const metrics = createMetrics(opts.db);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration
      .labels(req.method, req.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    let problem = toProblem(err);
    if (!problem && err.validation) {
      problem = {
        type: 'https://numbat.dev/problems/validation-failed',
        title: 'Validation failed',
        status: 400,
        code: 'VALIDATION_FAILED',
        detail: err.message,
        errors: err.validation.map((v) => ({
          field: `${err.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`,
          message: v.message ?? 'invalid',
        })),
      };
    }
    if (!problem && err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      problem = {
        type: 'about:blank',
        title: err.name,
        status: err.statusCode,
        code: err.code ?? 'BAD_REQUEST',
        detail: err.message,
      };
    }
    if (!problem) {
      req.log.error({ err }, 'unhandled error');
      problem = {
        type: 'about:blank',
        title: 'Internal server error',
        status: 500,
        code: 'INTERNAL',
        detail: 'Something went wrong on our side; quote the request id when reporting it.',
      };
    }
    problem.requestId = req.id;
    void reply.code(problem.status).type('application/problem+json').send(problem);
  });

  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Not found',
        status: 404,
        code: 'NOT_FOUND',
        detail: `no route ${req.method} ${req.url.split('?')[0]}`,
        requestId: req.id,
      });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Numbat provisioning API',
        version: '1',
        description:
          'Telephone-number inventory and provisioning. Authenticate with `Authorization: Bearer <token>`. ' +
          'Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.addSchema(Problem);
  app.addSchema(NumberSchema);
  app.addSchema(AuditEventSchema);

  await app.register(auth, { db: opts.db });
  await app.register(idempotency, { db: opts.db });
  await app.register(healthRoutes, { registry: metrics.registry });

  await app.register(
    async (api) => {
      api.get(
        '/openapi.json',
        { config: { permission: 'public' }, schema: { hide: true } },
        async () => app.swagger(),
      );
      await api.register(numbersRoutes, { numbers: services.numbers, now });
      await api.register(rangesRoutes, { ranges: services.ranges, now });
      await api.register(sitesRoutes, { sites: services.sites });
      await api.register(customersRoutes, { customers: services.customers });
      await api.register(servicesRoutes, { services: services.services });
      await api.register(settingsRoutes);
      await api.register(consentsRoutes, { consents: services.consents });
      await api.register(addressesRoutes, { addresses: services.addresses });
      await api.register(routingRoutes, { now });
      await api.register(tokensRoutes, { tokens: services.tokens });
      await api.register(authRoutes, { users: services.users });
      await api.register(usersRoutes, { users: services.users });
      await api.register(auditRoutes);
      await api.register(jobsRoutes, { db: opts.db });
      await api.register(importsRoutes, { db: opts.db, pool: opts.pool });
      await api.register(exportsRoutes, { db: opts.db, pool: opts.pool, now });
    },
    { prefix: '/api/v1' },
  );
  // Last: the portal's catch-all GET never shadows an API route.
  await app.register(portalRoutes);
  return app;
}
