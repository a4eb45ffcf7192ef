/**
 * The development parts' own migrations, kept in the schema `development` with their own
 * migration table: a development instance runs them after the portal's (adapters/db/database.ts
 * migrateDevelopmentParts); production never does, and drops the schema instead.
 */
import type { Migration } from 'kysely/migration'
import * as virtualCards from './d0001-virtual-cards.ts'

export const developmentMigrations: Record<string, Migration> = {
  'd0001-virtual-cards': virtualCards,
}
