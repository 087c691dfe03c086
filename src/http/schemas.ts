/** TypeBox schemas shared by many routes. Objects are strict: no mass assignment. */
import { Type, type TSchema } from '@sinclair/typebox';
import { AppError } from './errors.js';

export const Uuid = Type.String({ format: 'uuid' });
export const E164 = Type.String({ pattern: '^\\+[1-9][0-9]{0,14}$', examples: ['+442079460000'] });
export const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' });
export const DateTime = Type.String({ format: 'date-time' });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Holder = Type.Union(
  [
    Type.Object({ type: Type.Literal('operator') }, { additionalProperties: false }),
    Type.Object(
      { type: Type.Literal('customer'), customerId: Uuid },
      { additionalProperties: false },
    ),
  ],
  { description: 'Who holds the number: the operator or one customer' },
);

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code' }),
    detail: Type.String(),
    rule: Type.Optional(Type.String({ description: 'The SPEC rule id, e.g. R-10' })),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
    ),
  },
  { additionalProperties: true, $id: 'Problem' },
);

export const ProblemRef = Type.Ref('Problem');

/** Standard error answers for a route's `response` map. */
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, ProblemRef])) as Record<number, typeof ProblemRef>;

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
};

export const IfMatchHeaders = Type.Object({ 'if-match': Type.Optional(Type.String()) });

/** A string enum that keeps its literal type (and shows as `enum` in OpenAPI). */
export const StringEnum = <T extends string>(
  values: readonly T[],
  opts: { description?: string } = {},
) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });

/**
 * For POST actions whose body is optional: Fastify validates a missing body as
 * `null`, so give the schema an empty object to validate instead.
 */
export const emptyBodyIsObject = async (req: { body: unknown }) => {
  if (req.body === undefined || req.body === null) req.body = {};
};

/** The `{e164}` path parameter of the number routes. */
export const E164Param = Type.Object({
  e164: Type.String({
    description: 'E.164 number, `+` optional (URL-encode it as %2B)',
    maxLength: 20,
  }),
});

/** Accept `+4420…`, `%2B4420…` (decoded by the router) or bare digits. */
export function e164Param(raw: string): string {
  const v = raw.startsWith('+') ? raw : `+${raw.trim()}`;
  if (!/^\+[1-9][0-9]{0,14}$/.test(v)) throw new AppError('NOT_FOUND', `number ${raw} not found`);
  return v;
}
