/** Sites: physical buildings where numbers are provisioned (hosted voice). */
import type { Actor } from '../actor.js';
import { customerScope } from '../auth/principal.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import { AppError, notFound } from '../http/errors.js';
import * as repo from './sites.repository.js';

export interface SiteInput {
  name?: string | undefined;
  country?: string | undefined;
  address?: string | null | undefined;
  allocationPolicy?: 'batchOf5' | 'exact' | undefined;
}

const isUnique = (err: unknown) => (err as { code?: string }).code === '23505';

function assertOperator(actor: Actor) {
  if (customerScope(actor.principal) !== null) {
    throw new AppError('FORBIDDEN', 'a customer-scoped principal cannot change sites');
  }
}

export function createSitesService({ db }: { db: Db }) {
  return {
    async get(id: string) {
      const row = await repo.findSite(db, id);
      if (!row) throw notFound(`site ${id}`);
      return row;
    },
    list: (f: { after?: string | undefined; country?: string | undefined; limit: number }) =>
      repo.listSites(db, f),

    async create(actor: Actor, input: Required<Pick<SiteInput, 'name' | 'country'>> & SiteInput) {
      assertOperator(actor);
      return db
        .transaction()
        .execute(async (trx) => {
          const row = await repo.insertSite(trx, {
            name: input.name,
            country: input.country,
            address: input.address ?? null,
            // SPEC §7: UK sites allocate in batches of five by default.
            allocation_policy:
              input.allocationPolicy ?? (input.country === 'GB' ? 'batchOf5' : 'exact'),
          });
          await writeAudit(trx, actor, [
            {
              action: 'site.create',
              objectType: 'site',
              objectId: row.id,
              customerId: null,
              changes: { name: [null, row.name] },
            },
          ]);
          return row;
        })
        .catch((err: unknown) => {
          if (isUnique(err))
            throw new AppError('ALREADY_EXISTS', `a site named "${input.name}" exists`);
          throw err;
        });
    },

    async update(actor: Actor, id: string, input: SiteInput, ifMatch?: string) {
      assertOperator(actor);
      return db.transaction().execute(async (trx) => {
        const row = await repo.findSite(trx, id);
        if (!row) throw notFound(`site ${id}`);
        if (ifMatch !== undefined && ifMatch !== `"${row.version}"`) {
          throw new AppError('PRECONDITION_FAILED', `site ${id} changed since ETag ${ifMatch}`);
        }
        if (input.country && input.country !== row.country) {
          const held = await trx
            .selectFrom('numbers')
            .select('e164')
            .where('site_id', '=', id)
            .limit(1)
            .executeTakeFirst();
          if (held)
            throw new AppError('CONFLICT', 'a site with numbers cannot change country (R-3)');
        }
        const set = {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.country !== undefined ? { country: input.country } : {}),
          ...(input.address !== undefined ? { address: input.address } : {}),
          ...(input.allocationPolicy !== undefined
            ? { allocation_policy: input.allocationPolicy }
            : {}),
        };
        const updated = await repo.updateSite(trx, id, row.version, set).catch((err: unknown) => {
          if (isUnique(err))
            throw new AppError('ALREADY_EXISTS', `a site named "${input.name}" exists`);
          throw err;
        });
        if (!updated) throw new AppError('PRECONDITION_FAILED', `site ${id} changed meanwhile`);
        const changes: Record<string, [unknown, unknown]> = {};
        for (const [k, v] of Object.entries(set)) changes[k] = [row[k as keyof typeof row], v];
        await writeAudit(trx, actor, [
          { action: 'site.update', objectType: 'site', objectId: id, customerId: null, changes },
        ]);
        return updated;
      });
    },
  };
}

export type SitesService = ReturnType<typeof createSitesService>;
