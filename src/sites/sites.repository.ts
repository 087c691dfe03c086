import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from '../db/pool.js';
import type { SitesTable } from '../db/schema.js';

export type SiteRow = Selectable<SitesTable>;

export const findSite = (db: Db, id: string) =>
  db.selectFrom('sites').selectAll().where('id', '=', id).executeTakeFirst();

export const insertSite = (db: Db, row: Insertable<SitesTable>) =>
  db.insertInto('sites').values(row).returningAll().executeTakeFirstOrThrow();

export const updateSite = (db: Db, id: string, version: number, set: Updateable<SitesTable>) =>
  db
    .updateTable('sites')
    .set({ ...set, updated_at: new Date(), version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();

export function listSites(
  db: Db,
  f: { after?: string | undefined; country?: string | undefined; limit: number },
) {
  let q = db.selectFrom('sites').selectAll().orderBy('name').limit(f.limit);
  if (f.after) q = q.where('name', '>', f.after);
  if (f.country) q = q.where('country', '=', f.country);
  return q.execute();
}
