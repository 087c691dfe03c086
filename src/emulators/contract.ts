/**
 * Request validation against the platforms' published API descriptions (SPEC §8).
 *
 * The reference files live beside the repository in `../shared/reference/` (CI
 * checks the clone out next to `shared/`); they are read at run time and never
 * copied into the project. `NUMBAT_REFERENCE_DIR` points elsewhere when needed.
 *
 * One `Contract` serves the emulators (reject a non-conforming request with 400
 * and the reason) and the contract test (re-check every request a connector
 * sent). Both documents are added whole to one Ajv instance so their own
 * `$ref`s resolve; Swagger 2 (`#/definitions/…`) and OpenAPI 3.x
 * (`#/components/schemas/…`) differ only in where parameters keep their schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

export const ACG_REFERENCE_FILE = 'acg-provisioning-2024-02-29-preview.swagger.json';
export const WEBEX_REFERENCE_FILE = 'webex-numbers-openapi.yml';

/**
 * Where the reference files are: `NUMBAT_REFERENCE_DIR`, else `../shared/reference`
 * relative to the repository root (this file is `src/emulators/` or `dist/emulators/`).
 */
export function referenceDir(): string {
  const fromEnv = process.env.NUMBAT_REFERENCE_DIR;
  if (fromEnv) return fromEnv;
  return fileURLToPath(new URL('../../../shared/reference/', import.meta.url));
}

function readReference(dir: string, file: string): unknown {
  const path = `${dir.replace(/\/$/, '')}/${file}`;
  if (!existsSync(path)) {
    throw new Error(
      `reference file ${path} not found: the emulators validate requests against ` +
        `../shared/reference beside the repository (or set NUMBAT_REFERENCE_DIR)`,
    );
  }
  const text = readFileSync(path, 'utf8');
  return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

/** A request as an emulator received it (or a connector sent it). */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: unknown;
}

export interface OperationMatch {
  operationId: string;
  /** The path template of the reference, e.g. `/accounts/{accountName}:deleteNumbers`. */
  template: string;
  pathParams: Record<string, string>;
}

export type ValidationResult =
  | { ok: true; match: OperationMatch }
  | { ok: false; match: OperationMatch | null; errors: string[] };

interface Param {
  name: string;
  in: 'path' | 'query' | 'header' | 'body' | 'cookie';
  required: boolean;
  schema: Record<string, unknown>;
}

interface Operation {
  operationId: string;
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  params: Param[];
  bodyRequired: boolean;
  body: ValidateFunction | null;
  paramValidators: Map<string, ValidateFunction>;
}

type Doc = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  parameters?: Record<string, Record<string, unknown>>;
};

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateSchema: false,
    coerceTypes: coerce,
  });
  (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
  // Swagger/OpenAPI numeric formats Ajv does not know.
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  return ajv;
}

/** At most this many messages per request: a 101-item batch of bad numbers stays readable. */
const MAX_MESSAGES = 10;

function describe(errors: ValidateFunction['errors'], where: string): string[] {
  return (errors ?? []).slice(0, MAX_MESSAGES).map((e) => {
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    const suffix = allowed ? `: ${allowed.map(String).join(', ')}` : '';
    return `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}${suffix}`.trim();
  });
}

/**
 * Limits a reference states only in prose (descriptions), checked on top of the
 * schemas. Returns the reasons a request breaks them.
 */
export type ProseRules = (req: RecordedRequest, match: OperationMatch) => string[];

/** A published API description that can match and validate requests. */
export class Contract {
  private readonly operations: Operation[] = [];

  constructor(
    readonly name: string,
    doc: unknown,
    private readonly prose: ProseRules = () => [],
  ) {
    const d = doc as Doc;
    const id = `${name}-reference`;
    const bodyAjv = makeAjv(false);
    const paramAjv = makeAjv(true);
    bodyAjv.addSchema(doc as object, id);
    paramAjv.addSchema(doc as object, id);
    const rewrite = (schema: unknown): Record<string, unknown> =>
      JSON.parse(
        JSON.stringify(schema ?? {}).replaceAll('"$ref":"#/', `"$ref":"${id}#/`),
      ) as Record<string, unknown>;
    for (const [template, item] of Object.entries(d.paths)) {
      const shared = (item.parameters as unknown as Record<string, unknown>[] | undefined) ?? [];
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const params: Param[] = [];
        let body: ValidateFunction | null = null;
        let bodyRequired = false;
        for (const raw of [...shared, ...((op.parameters as Record<string, unknown>[]) ?? [])]) {
          const p =
            typeof raw.$ref === 'string'
              ? d.parameters?.[raw.$ref.replace('#/parameters/', '')]
              : raw;
          if (!p) throw new Error(`${name}: unresolved parameter ${JSON.stringify(raw)}`);
          if (p.in === 'body') {
            body = bodyAjv.compile(rewrite(p.schema));
            bodyRequired = p.required === true;
            continue;
          }
          // Swagger 2 keeps type/format/… on the parameter, OpenAPI 3 under `schema`.
          const schema = p.schema
            ? rewrite(p.schema)
            : Object.fromEntries(
                Object.entries(p).filter(([k]) =>
                  ['type', 'format', 'enum', 'minLength', 'maxLength', 'pattern', 'items'].includes(
                    k,
                  ),
                ),
              );
          params.push({
            name: String(p.name),
            in: p.in as Param['in'],
            required: p.required === true,
            schema,
          });
        }
        const requestBody = op.requestBody as
          { required?: boolean; content?: Record<string, { schema?: unknown }> } | undefined;
        const json = requestBody?.content?.['application/json'];
        if (json?.schema) {
          body = bodyAjv.compile(rewrite(json.schema));
          bodyRequired = requestBody?.required ?? true;
        }
        const names: string[] = [];
        const pattern = template
          .split(/(\{[^}]+\})/)
          .map((part) => {
            const m = /^\{(.+)\}$/.exec(part);
            if (m) {
              names.push(m[1]!);
              return '([^/:]+)';
            }
            return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          })
          .join('');
        const paramValidators = new Map<string, ValidateFunction>();
        for (const p of params)
          paramValidators.set(`${p.in}:${p.name}`, paramAjv.compile(p.schema));
        this.operations.push({
          operationId: String(op.operationId),
          method: method.toUpperCase(),
          template,
          regex: new RegExp(`^${pattern}$`),
          names,
          params,
          bodyRequired,
          body,
          paramValidators,
        });
      }
    }
  }

  /** The operation a method and path belong to, or null when the reference has none. */
  match(method: string, path: string): OperationMatch | null {
    for (const op of this.operations) {
      if (op.method !== method.toUpperCase()) continue;
      const m = op.regex.exec(path);
      if (!m) continue;
      const pathParams: Record<string, string> = {};
      op.names.forEach((n, i) => (pathParams[n] = decodeURIComponent(m[i + 1]!)));
      return { operationId: op.operationId, template: op.template, pathParams };
    }
    return null;
  }

  /** Check path, query, headers and body of one request against the reference. */
  validate(req: RecordedRequest): ValidationResult {
    const match = this.match(req.method, req.path);
    if (!match) {
      return {
        ok: false,
        match: null,
        errors: [`${req.method} ${req.path} is not an operation of the ${this.name} reference`],
      };
    }
    const op = this.operations.find(
      (o) => o.operationId === match.operationId && o.template === match.template,
    )!;
    const errors: string[] = [];
    for (const p of op.params) {
      const value =
        p.in === 'path'
          ? match.pathParams[p.name]
          : p.in === 'query'
            ? req.query[p.name]
            : p.in === 'header'
              ? req.headers[p.name.toLowerCase()]
              : undefined;
      if (value === undefined) {
        if (p.required) errors.push(`${p.in} parameter ${p.name} is required`);
        continue;
      }
      const holder = { v: value as unknown };
      const validate = op.paramValidators.get(`${p.in}:${p.name}`)!;
      // Coercion (query strings → integer/boolean) works on a property of an object.
      const wrapped = paramWrapper(validate);
      if (!wrapped(holder))
        errors.push(...describe(validate.errors, `${p.in} parameter ${p.name}`));
    }
    if (op.body) {
      if (req.body === undefined || req.body === null || req.body === '') {
        if (op.bodyRequired) errors.push('request body is required');
      } else if (!op.body(req.body)) {
        errors.push(...describe(op.body.errors, 'body'));
      }
    }
    if (errors.length === 0) errors.push(...this.prose(req, match));
    return errors.length ? { ok: false, match, errors } : { ok: true, match };
  }
}

function paramWrapper(validate: ValidateFunction) {
  return (holder: { v: unknown }): boolean => {
    // Ajv coerces only inside a parent object; validate a copy the same way a
    // server framework would: as a string that may stand for a number/boolean.
    let v = holder.v;
    if (typeof v === 'string') {
      const s = validate.schema as { type?: string };
      if (s.type === 'integer' || s.type === 'number') v = v === '' ? v : Number(v);
      else if (s.type === 'boolean') v = v === 'true' ? true : v === 'false' ? false : v;
    }
    return validate(v);
  };
}

/** Webex per-request limits stated in the reference's descriptions. */
export const WEBEX_LIMITS = {
  /** `NumbersDelete.phoneNumbers`: "The maximum limit is 5." */
  deletePerRequest: 5,
  /** `NumbersRequest.action`: "For DEACTIVATE … a maximum of 500 phone numbers". */
  deactivatePerRequest: 500,
  /** AddPhoneNumbersToALocation: "Only 20 mobile numbers can be added per request." */
  mobileAddPerRequest: 20,
} as const;

function webexProseRules(req: RecordedRequest, match: OperationMatch): string[] {
  const body = req.body as { phoneNumbers?: unknown[]; action?: string; numberType?: string };
  const n = Array.isArray(body?.phoneNumbers) ? body.phoneNumbers.length : 0;
  switch (match.operationId) {
    case 'RemovePhoneNumbersFromALocation':
      return n > WEBEX_LIMITS.deletePerRequest
        ? [
            `body/phoneNumbers: at most ${WEBEX_LIMITS.deletePerRequest} numbers per delete (got ${n})`,
          ]
        : [];
    case 'ManageNumberStateInALocation':
      return body.action === 'DEACTIVATE' && n > WEBEX_LIMITS.deactivatePerRequest
        ? [
            `body/phoneNumbers: at most ${WEBEX_LIMITS.deactivatePerRequest} numbers per DEACTIVATE (got ${n})`,
          ]
        : [];
    case 'AddPhoneNumbersToALocation':
      return body.numberType === 'MOBILE' && n > WEBEX_LIMITS.mobileAddPerRequest
        ? [
            `body/phoneNumbers: at most ${WEBEX_LIMITS.mobileAddPerRequest} mobile numbers per request (got ${n})`,
          ]
        : [];
    default:
      return [];
  }
}

let acg: Contract | null = null;
let webex: Contract | null = null;

/** The ACG Provisioning API (Swagger 2, api-version 2024-02-29-preview). */
export function acgContract(dir = referenceDir()): Contract {
  if (!acg || dir !== referenceDir())
    acg = new Contract('acg', readReference(dir, ACG_REFERENCE_FILE));
  return acg;
}

/** The Webex Calling location numbers API (OpenAPI 3.2 extract). */
export function webexContract(dir = referenceDir()): Contract {
  if (!webex || dir !== referenceDir())
    webex = new Contract('webex', readReference(dir, WEBEX_REFERENCE_FILE), webexProseRules);
  return webex;
}
