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
import { limitDefaults, type Config, type Limits } from './config.js';
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
import rateLimit from './http/rate-limit.js';
import securityHeaders, { LOG_REDACT_PATHS } from './http/security-headers.js';
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
import { syncRoutes } from './sync/sync.routes.js';
import { createSyncService } from './sync/sync.service.js';
import { authRoutes } from './users/auth.routes.js';
import { usersRoutes } from './users/users.routes.js';
import { createUsersService } from './users/users.service.js';
import { utilisationRoutes } from './utilisation/utilisation.routes.js';
import { createUtilisationService } from './utilisation/utilisation.service.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    /** Caps and limits in force (issue 7; src/config.ts limitDefaults). */
    limits: Limits;
  }
}

export interface AppOptions {
  db: Db;
  /**
   * The caps and limits (issue 7) are optional: missing ones take
   * limitDefaults, except the rate limit, which is off unless given (tests,
   * the bench and embedders opt in; `numbat serve` passes the configured one).
   */
  config: Pick<Config, 'coolingOffDays' | 'coolingOffDaysByCountry' | 'logLevel'> & Partial<Limits>;
  /** Injected clock (tests); default the system clock. */
  now?: () => Date;
  logger?: boolean;
  /** Where the JSON log lines go; default stdout (tests capture them). */
  logStream?: { write: (line: string) => void };
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
    sync: createSyncService({ db, numbers, now }),
    utilisation: createUtilisationService({ db, now }),
  };
}

export type Services = ReturnType<typeof createServices>;

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const now = opts.now ?? (() => new Date());
  const limits: Limits = { ...limitDefaults, rateLimitPerSecond: 0 };
  for (const k of Object.keys(limitDefaults) as (keyof Limits)[]) {
    if (opts.config[k] !== undefined) (limits as Record<string, unknown>)[k] = opts.config[k];
  }
  const app = Fastify({
    logger:
      opts.logger === false
        ? false
        : {
            level: opts.config.logLevel,
            // Secrets never reach the logs (issue 7): no auth headers, no bodies.
            redact: LOG_REDACT_PATHS,
            ...(opts.logStream ? { stream: opts.logStream } : {}),
          },
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,100}$/.test(incoming)
        ? incoming
        : randomUUID();
    },
    bodyLimit: limits.bodyLimit,
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
  app.decorate('limits', limits);
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
        errors: err.validation.map((v) => {
          const field = `${err.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`;
          // Issue 7: name the unknown field (mass assignment is refused, and says what).
          const extra = (v.params as { additionalProperty?: unknown } | undefined)
            ?.additionalProperty;
          return typeof extra === 'string'
            ? { field: `${field}.${extra}`, message: 'unknown field; not allowed here' }
            : { field, message: v.message ?? 'invalid' };
        }),
      };
    }
    if (
      !problem &&
      (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.code === 'FST_REQ_FILE_TOO_LARGE')
    ) {
      problem = {
        type: 'https://numbat.dev/problems/payload-too-large',
        title: 'Payload too large',
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        detail:
          err.code === 'FST_REQ_FILE_TOO_LARGE'
            ? `the file is larger than ${limits.importMaxBytes} bytes`
            : `the body is larger than ${limits.bodyLimit} bytes (imports: POST /api/v1/imports)`,
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

  await app.register(securityHeaders, { hsts: limits.hsts });
  await app.register(auth, { db: opts.db });
  // After auth (limits per principal), before idempotency and every handler.
  await app.register(rateLimit, {
    perSecond: limits.rateLimitPerSecond,
    burst: limits.rateLimitBurst,
    exportsPerPrincipal: limits.exportsPerPrincipal,
    exportsGlobal: limits.exportsGlobal,
    exportRetryAfter: 5,
    nowMs: () => now().getTime(),
  });
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
      await api.register(syncRoutes, { sync: services.sync, now });
      await api.register(utilisationRoutes, { utilisation: services.utilisation });
    },
    { prefix: '/api/v1' },
  );
  // Last: the portal's catch-all GET never shadows an API route.
  await app.register(portalRoutes);
  return app;
}
