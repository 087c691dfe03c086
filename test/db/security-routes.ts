/**
 * The security matrices' view of every route (issue 7, OWASP API1/API5):
 * each route the running app registers must be classified here, or the
 * matrices fail. HEAD routes follow their GET.
 *
 * - `object`: the path names an object a customer could own (or the
 *   operator's); a customer-scoped principal naming another customer's object
 *   gets 404 (R-1), whatever the body and whatever its permissions.
 * - `none`: no object id in the path (lists, creates, sign-in…), or an
 *   object that no customer owns; `reason` says which. Ids in the body or the
 *   query of these routes are checked by the `probes` in security-bola.
 * - `operatorOnly`: the path names an object, but the action is the
 *   operator's alone: customers are refused 403 before any look-up, so the
 *   answer is the same for another customer's id and for an id that does not
 *   exist (no existence leak, checked in security-bola); `reason` says why.
 */
export interface Ids {
  /** Another customer's objects. */
  customer: string;
  e164: string;
  serviceId: string;
  addressId: string;
  locationId: string;
  tenantId: string;
  jobId: string;
  userId: string;
  tokenId: string;
  rangeId: string;
  siteId: string;
}

export interface Probe {
  path: (ids: Ids) => string;
  body?: (ids: Ids) => unknown;
  headers?: Record<string, string>;
}

export type RouteClass =
  | ({ kind: 'object'; customerAllowed: boolean } & Probe)
  | ({ kind: 'operatorOnly'; reason: string; customerAllowed: false } & Probe)
  | {
      kind: 'none';
      reason: string;
      customerAllowed: boolean;
      probe?: Probe;
      /** A valid body, so that a refusal after validation is reached. */
      body?: () => unknown;
    };

const enc = encodeURIComponent;
/** A wrong ETag: a route that compared it before the visibility check would leak 412. */
const stale = { 'if-match': '"999999"' };

/**
 * `customerAllowed`: whether a customer-scoped principal holding the route's
 * permission may use the route at all (false: 403 or 404 for any id).
 */
export const routeClasses: Record<string, RouteClass> = {
  'GET /healthz': { kind: 'none', reason: 'public liveness probe', customerAllowed: true },
  'GET /readyz': { kind: 'none', reason: 'public readiness probe', customerAllowed: true },
  'GET /metrics': {
    kind: 'none',
    reason: 'public Prometheus metrics, aggregates only',
    customerAllowed: true,
  },
  'GET /api/v1/openapi.json': {
    kind: 'none',
    reason: 'public API description',
    customerAllowed: true,
  },
  'GET /*': { kind: 'none', reason: 'portal static files (public)', customerAllowed: true },
  'POST /api/v1/auth/sign-in': {
    kind: 'none',
    reason: 'public: e-mail and password in the body',
    customerAllowed: true,
  },
  'POST /api/v1/auth/sign-out': {
    kind: 'none',
    reason: 'acts on the caller',
    customerAllowed: true,
  },
  'GET /api/v1/auth/me': { kind: 'none', reason: 'acts on the caller', customerAllowed: true },
  'POST /api/v1/auth/password': {
    kind: 'none',
    reason: 'acts on the caller',
    customerAllowed: true,
  },

  // Numbers
  'GET /api/v1/numbers': {
    kind: 'none',
    reason: 'list; scoped to the caller',
    customerAllowed: true,
    probe: { path: (i) => `/api/v1/numbers?customerId=${i.customer}&limit=1000` },
  },
  'POST /api/v1/numbers': {
    kind: 'none',
    reason: 'create (operator inventory)',
    customerAllowed: false,
    body: () => ({ number: '+441134969998' }),
  },
  'POST /api/v1/numbers/allocate': {
    kind: 'none',
    reason: 'create; the holder is in the body',
    customerAllowed: false,
    body: () => ({ holder: { type: 'operator' }, count: 1 }),
    probe: {
      path: () => '/api/v1/numbers/allocate',
      body: (i) => ({ holder: { type: 'customer', customerId: i.customer }, count: 1 }),
    },
  },
  'POST /api/v1/numbers/bulk/:action': {
    kind: 'none',
    reason: 'numbers in the body: each answers NOT_FOUND (checked in security-bola)',
    customerAllowed: true,
  },
  'GET /api/v1/numbers/:e164': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/numbers/${enc(i.e164)}`,
  },
  'PATCH /api/v1/numbers/:e164': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/numbers/${enc(i.e164)}`,
    // The one change a customer may make; other fields are 403 for any number.
    body: () => ({ emergency: { civicAddressId: null } }),
    headers: stale,
  },
  'DELETE /api/v1/numbers/:e164': {
    kind: 'operatorOnly',
    reason: 'deleting a number is the operator’s (403 for customers)',
    customerAllowed: false,
    path: (i) => `/api/v1/numbers/${enc(i.e164)}`,
    headers: stale,
  },
  'GET /api/v1/numbers/:e164/history': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/numbers/${enc(i.e164)}/history`,
  },
  'POST /api/v1/numbers/:e164/:action': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/numbers/${enc(i.e164)}/unassign`,
  },

  // Platform sync (SPEC §3.3, §8)
  'POST /api/v1/numbers/:e164/sync/approve-removal': {
    kind: 'object',
    customerAllowed: false,
    path: (i) => `/api/v1/numbers/${enc(i.e164)}/sync/approve-removal`,
  },
  'POST /api/v1/numbers/:e164/sync/reactivate': {
    kind: 'object',
    customerAllowed: false,
    path: (i) => `/api/v1/numbers/${enc(i.e164)}/sync/reactivate`,
  },
  'POST /api/v1/numbers/bulk/sync/approve-removal': {
    kind: 'none',
    reason:
      'numbers in the body: another customer’s answer NOT_FOUND per number, the caller’s own FORBIDDEN (200)',
    customerAllowed: true,
  },
  'POST /api/v1/numbers/bulk/sync/reactivate': {
    kind: 'none',
    reason:
      'numbers in the body: another customer’s answer NOT_FOUND per number, the caller’s own FORBIDDEN (200)',
    customerAllowed: true,
  },
  'POST /api/v1/sync/refresh': {
    kind: 'none',
    reason: 'starts a job; the customer or service is in the body',
    customerAllowed: true,
    probe: { path: () => '/api/v1/sync/refresh', body: (i) => ({ customerId: i.customer }) },
  },
  'GET /api/v1/sync/differences': {
    kind: 'none',
    reason: 'list; scoped to the caller',
    customerAllowed: true,
    probe: { path: (i) => `/api/v1/sync/differences?customerId=${i.customer}&limit=1000` },
  },
  'POST /api/v1/sync/differences/apply': {
    kind: 'none',
    reason: 'difference ids in the body: another customer’s answer NOT_FOUND per id (200)',
    customerAllowed: true,
  },

  // Ranges and sites: the operator's inventory, owned by no customer.
  'POST /api/v1/ranges': {
    kind: 'none',
    reason: 'create (operator)',
    customerAllowed: false,
    body: () => ({ name: 'probe', start: '+441134969000', count: 10 }),
  },
  'GET /api/v1/ranges': {
    kind: 'none',
    reason: 'list; empty for customers',
    customerAllowed: true,
  },
  'GET /api/v1/ranges/:id': {
    kind: 'object',
    customerAllowed: false,
    path: (i) => `/api/v1/ranges/${i.rangeId}`,
  },
  'POST /api/v1/sites': {
    kind: 'none',
    reason: 'create (operator)',
    customerAllowed: false,
    body: () => ({ name: 'probe', country: 'GB' }),
  },
  'GET /api/v1/sites': {
    kind: 'none',
    reason: 'list of shared reference data (sites belong to no customer)',
    customerAllowed: true,
  },
  'GET /api/v1/sites/:id': {
    kind: 'none',
    reason: 'sites belong to no customer: shared reference data every principal may read',
    customerAllowed: true,
  },
  'PATCH /api/v1/sites/:id': {
    kind: 'none',
    reason: 'sites belong to no customer; changing one is the operator’s (403 for customers)',
    customerAllowed: false,
    body: () => ({ name: 'probe' }),
  },

  // Customers and their services
  'POST /api/v1/customers': {
    kind: 'none',
    reason: 'create (operator)',
    customerAllowed: false,
    body: () => ({ name: 'probe', accountName: 'probe' }),
  },
  'GET /api/v1/customers': {
    kind: 'none',
    reason: 'list; a customer sees itself only',
    customerAllowed: true,
    probe: { path: () => '/api/v1/customers?limit=1000' },
  },
  'GET /api/v1/customers/:id': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/customers/${i.customer}`,
  },
  'PATCH /api/v1/customers/:id': {
    kind: 'operatorOnly',
    reason: 'changing a customer is the operator’s',
    customerAllowed: false,
    path: (i) => `/api/v1/customers/${i.customer}`,
    body: () => ({ name: 'hijacked' }),
    headers: stale,
  },
  'POST /api/v1/customers/:id/close': {
    kind: 'operatorOnly',
    reason: 'closing a customer is the operator’s',
    customerAllowed: false,
    path: (i) => `/api/v1/customers/${i.customer}/close`,
    body: () => ({}),
  },
  'GET /api/v1/customers/:id/services': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/customers/${i.customer}/services`,
  },
  'POST /api/v1/customers/:id/services': {
    kind: 'operatorOnly',
    reason: 'adding a service is the operator’s',
    customerAllowed: false,
    path: (i) => `/api/v1/customers/${i.customer}/services`,
    body: () => ({ platform: 'teamsOperatorConnect' }),
  },
  'GET /api/v1/customers/:id/services/:serviceId': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/customers/${i.customer}/services/${i.serviceId}`,
  },
  'PATCH /api/v1/customers/:id/services/:serviceId': {
    kind: 'operatorOnly',
    reason: 'changing a service is the operator’s',
    customerAllowed: false,
    path: (i) => `/api/v1/customers/${i.customer}/services/${i.serviceId}`,
    body: () => ({ syncEnabled: false }),
    headers: stale,
  },
  'POST /api/v1/customers/:id/services/:serviceId/consent': {
    kind: 'operatorOnly',
    reason: 'recording consent is the operator’s',
    customerAllowed: false,
    path: (i) => `/api/v1/customers/${i.customer}/services/${i.serviceId}/consent`,
  },
  'POST /api/v1/customers/:id/services/:serviceId/remove': {
    kind: 'operatorOnly',
    reason: 'removing a service is the operator’s',
    customerAllowed: false,
    path: (i) => `/api/v1/customers/${i.customer}/services/${i.serviceId}/remove`,
  },
  'POST /api/v1/customers/:id/services/:serviceId/numbers': {
    kind: 'operatorOnly',
    reason: 'uploading numbers is the operator’s',
    customerAllowed: false,
    path: (i) => `/api/v1/customers/${i.customer}/services/${i.serviceId}/numbers`,
    body: (i) => ({ number: i.e164, validateOnly: true }),
  },

  // Settings, routing: the operator's, no object id.
  'GET /api/v1/settings': { kind: 'none', reason: 'operator settings', customerAllowed: false },
  'PUT /api/v1/settings': {
    kind: 'none',
    reason: 'operator settings',
    customerAllowed: false,
    body: () => ({ createMainNumberAutomatically: true }),
  },
  'GET /api/v1/routing/sbc': {
    kind: 'none',
    reason: 'the operator’s SBC dial plan',
    customerAllowed: false,
  },

  // Consents (Teams tenants)
  'GET /api/v1/consents': {
    kind: 'none',
    reason: 'list; scoped to the caller',
    customerAllowed: true,
    probe: { path: (i) => `/api/v1/consents?customerId=${i.customer}&limit=1000` },
  },
  'POST /api/v1/consents': {
    kind: 'none',
    reason: 'create (operator)',
    customerAllowed: false,
    body: () => ({ tenantId: '00000000-0000-4000-8000-00000000c0de' }),
  },
  'GET /api/v1/consents/:tenantId': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/consents/${i.tenantId}`,
  },
  'POST /api/v1/consents/:tenantId/relationship': {
    kind: 'operatorOnly',
    reason: 'the Teams relationship is the operator’s',
    customerAllowed: false,
    path: (i) => `/api/v1/consents/${i.tenantId}/relationship`,
    body: () => ({ status: 'customerContacted' }),
    headers: stale,
  },
  'POST /api/v1/consents/:tenantId/customer': {
    kind: 'operatorOnly',
    reason: 'creating a customer is the operator’s',
    customerAllowed: false,
    path: (i) => `/api/v1/consents/${i.tenantId}/customer`,
    body: () => ({ accountName: 'bola-probe' }),
  },

  // Civic addresses
  'GET /api/v1/civic-addresses': {
    kind: 'none',
    reason: 'list; scoped to the caller',
    customerAllowed: true,
    probe: { path: (i) => `/api/v1/civic-addresses?customerId=${i.customer}&limit=1000` },
  },
  'POST /api/v1/civic-addresses': {
    kind: 'none',
    reason: 'create; the customer is in the body',
    customerAllowed: false,
    body: () => ({ country: 'GB', city: 'Reading' }),
    probe: {
      path: () => '/api/v1/civic-addresses',
      body: (i) => ({ customerId: i.customer, country: 'GB', city: 'Reading' }),
    },
  },
  'GET /api/v1/civic-addresses/:id': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/civic-addresses/${i.addressId}`,
  },
  'PATCH /api/v1/civic-addresses/:id': {
    kind: 'operatorOnly',
    reason: 'customers read civic addresses; the operator changes them',
    customerAllowed: false,
    path: (i) => `/api/v1/civic-addresses/${i.addressId}`,
    body: () => ({ city: 'Elsewhere' }),
    headers: stale,
  },
  'DELETE /api/v1/civic-addresses/:id': {
    kind: 'operatorOnly',
    reason: 'customers read civic addresses; the operator changes them',
    customerAllowed: false,
    path: (i) => `/api/v1/civic-addresses/${i.addressId}`,
    headers: stale,
  },
  'POST /api/v1/civic-addresses/:id/locations': {
    kind: 'operatorOnly',
    reason: 'customers read civic addresses; the operator changes them',
    customerAllowed: false,
    path: (i) => `/api/v1/civic-addresses/${i.addressId}/locations`,
    body: () => ({ description: 'probe' }),
  },
  'PATCH /api/v1/civic-addresses/:id/locations/:locationId': {
    kind: 'operatorOnly',
    reason: 'customers read civic addresses; the operator changes them',
    customerAllowed: false,
    path: (i) => `/api/v1/civic-addresses/${i.addressId}/locations/${i.locationId}`,
    body: () => ({ description: 'probe' }),
  },
  'DELETE /api/v1/civic-addresses/:id/locations/:locationId': {
    kind: 'operatorOnly',
    reason: 'customers read civic addresses; the operator changes them',
    customerAllowed: false,
    path: (i) => `/api/v1/civic-addresses/${i.addressId}/locations/${i.locationId}`,
  },

  // Tokens and users (customer admins manage their own)
  'POST /api/v1/tokens': {
    kind: 'none',
    reason: 'create; the scope is in the body',
    customerAllowed: true,
    probe: {
      path: () => '/api/v1/tokens',
      body: (i) => ({ name: 'probe', permissions: ['admin'], scope: `customer:${i.customer}` }),
    },
  },
  'GET /api/v1/tokens': {
    kind: 'none',
    reason: 'list; scoped to the caller',
    customerAllowed: true,
    probe: { path: () => '/api/v1/tokens' },
  },
  'DELETE /api/v1/tokens/:id': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/tokens/${i.tokenId}`,
  },
  'POST /api/v1/users': {
    kind: 'none',
    reason: 'create; the scope is in the body',
    customerAllowed: true,
    probe: {
      path: () => '/api/v1/users',
      body: (i) => ({
        email: 'probe@bola.example',
        name: 'Probe',
        password: 'correct horse battery staple',
        permissions: ['admin'],
        scope: `customer:${i.customer}`,
      }),
    },
  },
  'GET /api/v1/users': {
    kind: 'none',
    reason: 'list; scoped to the caller',
    customerAllowed: true,
    probe: { path: () => '/api/v1/users?limit=1000' },
  },
  'GET /api/v1/users/:id': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/users/${i.userId}`,
  },
  'PATCH /api/v1/users/:id': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/users/${i.userId}`,
    body: () => ({ name: 'hijacked' }),
    headers: stale,
  },
  'DELETE /api/v1/users/:id': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/users/${i.userId}`,
  },

  // Audit, jobs, imports, exports
  'GET /api/v1/audit-events': {
    kind: 'none',
    reason: 'list; scoped to the caller',
    customerAllowed: true,
    probe: { path: (i) => `/api/v1/audit-events?customerId=${i.customer}&limit=1000` },
  },
  'GET /api/v1/jobs': {
    kind: 'none',
    reason: 'list; scoped to the caller',
    customerAllowed: true,
    probe: { path: () => '/api/v1/jobs?limit=1000' },
  },
  'GET /api/v1/jobs/:id': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/jobs/${i.jobId}`,
  },
  'GET /api/v1/jobs/:id/errors.csv': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/jobs/${i.jobId}/errors.csv`,
  },
  'POST /api/v1/jobs/:id/cancel': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/jobs/${i.jobId}/cancel`,
  },
  'POST /api/v1/jobs/:id/retry': {
    kind: 'object',
    customerAllowed: true,
    path: (i) => `/api/v1/jobs/${i.jobId}/retry`,
  },
  'GET /api/v1/utilisation/history': {
    kind: 'none',
    reason: 'site/range series; a customer sees only its own holdings',
    customerAllowed: true,
    probe: { path: (i) => `/api/v1/utilisation/history?siteId=${i.siteId}` },
  },
  'POST /api/v1/utilisation/snapshots': {
    kind: 'none',
    reason: 'operator housekeeping, no object',
    customerAllowed: false,
  },
  'GET /api/v1/imports/template.csv': {
    kind: 'none',
    reason: 'a static template',
    customerAllowed: true,
  },
  'POST /api/v1/imports': {
    kind: 'none',
    reason: 'create (operator)',
    customerAllowed: false,
  },
  'GET /api/v1/exports/numbers.csv': {
    kind: 'none',
    reason: 'export; scoped to the caller',
    customerAllowed: true,
    probe: { path: (i) => `/api/v1/exports/numbers.csv?customerId=${i.customer}` },
  },
};

/** `METHOD url` of a route; HEAD routes are classified by their GET. */
export const routeKey = (method: string, url: string) =>
  `${method === 'HEAD' ? 'GET' : method} ${url}`;
