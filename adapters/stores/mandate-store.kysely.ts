import type { Kysely, Selectable } from 'kysely'
import type { Mandate } from '../../core/domain/mandates.ts'
import type { MandateStore } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { compiledOnce } from './compiled-once.ts'
import { anyOfIds, byId, type Gathering, gatheredOrOne } from './gathered-calls.ts'

export const toMandate = (r: Selectable<Database['mandates']>): Mandate => ({
  delegator: {
    corporateNumber: r.delegator_corporate_number,
    businessName: r.delegator_business_name,
    representativeName: r.delegator_representative_name,
  },
  delegate: { name: r.delegate_name },
  authorities: r.authorities,
  validFrom: new Date(r.valid_from),
  validTo: new Date(r.valid_to),
  providerId: r.provider_id,
  referenceNumber: r.reference_number,
})

/**
 * The agents' mandates. With `gathering`, those read in the same turn of the event loop share a
 * statement (gathered-calls.ts): outside transactions, where a batch of deliveries reads its
 * users' at once.
 */
export const kyselyMandateStore = (
  db: Kysely<Database>,
  gathering: Gathering = 'one by one',
): MandateStore => {
  const mandatesOf = compiledOnce(1, (userIds: string) =>
    db.selectFrom('mandates').selectAll().where('user_id', '=', anyOfIds(userIds)),
  )
  const mandateRowOf = gatheredOrOne(
    gathering,
    byId(
      async (userIds) => (await db.executeQuery(mandatesOf(JSON.stringify(userIds)))).rows,
      (row) => row.user_id,
    ),
  )
  return {
    findForUser: async (userId) => {
      const row = await mandateRowOf(userId)
      return row && toMandate(row)
    },
    replace: async (userId, m) => {
      const row = {
        delegator_corporate_number: m.delegator.corporateNumber,
        delegator_business_name: m.delegator.businessName,
        delegator_representative_name: m.delegator.representativeName,
        delegate_name: m.delegate.name,
        authorities: m.authorities,
        valid_from: m.validFrom,
        valid_to: m.validTo,
        provider_id: m.providerId,
        reference_number: m.referenceNumber,
      }
      await db
        .insertInto('mandates')
        .values({ user_id: userId, ...row })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
        .execute()
    },
  }
}
