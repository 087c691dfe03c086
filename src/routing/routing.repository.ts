/** SQL of the SBC routing export. */
import { sql } from 'kysely';
import type { Db } from '../db/pool.js';

export interface RouteRow {
  e164: string;
  sip_connection: string | null;
  custom_sip_header: string | null;
  calling_profile_id: string | null;
  status: string;
  source: string;
  platform: string | null;
  service_id: string | null;
  customer_id: string | null;
  account_name: string | null;
}

/**
 * One page of the dial plan, by e164 after `after`: numbers entered through
 * api / ui / import (never `sync`, SPEC §3.3) that are active or assigned.
 * The number's SIP connection wins over its service's default. Served by the
 * partial index `numbers_routing` (migration 0004).
 */
export async function routesPage(db: Db, after: string | null, limit: number): Promise<RouteRow[]> {
  const r = await sql<RouteRow>`
    SELECT n.e164, coalesce(n.sip_connection, s.sip_connection) AS sip_connection,
           n.custom_sip_header, coalesce(n.calling_profile_id, s.calling_profile_id) AS calling_profile_id,
           n.status, n.source, s.platform, n.service_id, n.customer_id, c.account_name
    FROM numbers n
    LEFT JOIN services s ON s.id = n.service_id
    LEFT JOIN customers c ON c.id = n.customer_id
    WHERE n.status IN ('active', 'assigned') AND n.source <> 'sync'
      AND (${after}::text IS NULL OR n.e164 > ${after}::text COLLATE "C")
    ORDER BY n.e164
    LIMIT ${limit}`.execute(db);
  return r.rows;
}
