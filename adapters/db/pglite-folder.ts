/**
 * PGlite's cluster in a folder (the embedded default's DATA_DIR), made safely the first time.
 *
 * A new cluster is unpacked from initdb's template (adapters/db/pglite-template.ts) or made by
 * initdb. A start killed meanwhile leaves part of the files, and PostgreSQL would then try to
 * resume a broken cluster at every start after. So while a cluster is made in a folder the portal
 * found empty (nothing but dot files or lost+found), a mark lies in it; a start that finds the mark
 * removes PostgreSQL's files from the folder (never the folder itself, which may be a link or a
 * mount, nor anything else in it) and makes the cluster again. A template that fails to load
 * (damaged on disk, say) is given up for initdb the same way.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'

export const UNFINISHED_MARK = '.portal-cluster-unfinished'

/** The names PostgreSQL keeps in a cluster's folder: the only ones a remake removes. */
const isClusterFile = (name: string) =>
  name === 'PG_VERSION' ||
  name === 'base' ||
  name === 'global' ||
  name.startsWith('pg_') ||
  name.startsWith('postgresql.') ||
  name.startsWith('postmaster.')

const foundEmpty = (names: string[]) => names.every((name) => name === 'lost+found' || name.startsWith('.'))

/** How a new cluster is made: PostgreSQL's start parameters, the template, where to say what happened. */
export type ClusterMaking = {
  startParams: string[]
  template: () => Promise<Blob | undefined>
  say: (message: string) => void
}

/**
 * PGlite made by `create` from the template where it loads; else (no template, or one that fails
 * to load) by initdb, after `clearHalfMade` has removed what the failed load left.
 */
const fromTemplateElseInitdb = async (
  create: (loadDataDir?: Blob) => Promise<PGlite>,
  { template, say }: ClusterMaking,
  clearHalfMade: () => void = () => {},
): Promise<PGlite> => {
  const loadDataDir = await template()
  if (!loadDataDir) return create()
  try {
    return await create(loadDataDir)
  } catch (error) {
    say(
      `The database template did not load (${(error as Error).message}); initdb makes the database instead.`,
    )
    clearHalfMade()
    return create()
  }
}

export const openPgliteFolder = async (folder: string, making: ClusterMaking): Promise<PGlite> => {
  const { startParams, say } = making
  mkdirSync(folder, { recursive: true })
  // PGlite's file system does not follow a link to the folder (ENOENT): the folder it links to.
  const dataDir = realpathSync(folder)
  const mark = join(dataDir, UNFINISHED_MARK)
  const removeHalfMadeCluster = () => {
    for (const name of readdirSync(dataDir))
      if (isClusterFile(name)) rmSync(join(dataDir, name), { recursive: true, force: true })
  }
  if (existsSync(mark)) {
    say(`The database in ${dataDir} was left half made by a start that stopped; it is made anew.`)
    removeHalfMadeCluster()
    rmSync(mark)
  }
  const names = readdirSync(dataDir)
  if (names.includes('PG_VERSION')) return PGlite.create(dataDir, { startParams })
  // A folder that holds something else: PGlite fills it as it would, and nothing of it is removed.
  if (!foundEmpty(names))
    return fromTemplateElseInitdb(
      (loadDataDir) => PGlite.create(dataDir, { startParams, loadDataDir }),
      making,
    )

  writeFileSync(mark, '')
  const pglite = await fromTemplateElseInitdb(
    (loadDataDir) => PGlite.create(dataDir, { startParams, loadDataDir }),
    making,
    removeHalfMadeCluster,
  )
  rmSync(mark, { force: true })
  return pglite
}

/** PGlite in memory (the tests' databases), from the template where it loads, else by initdb. */
export const openPgliteInMemory = (making: ClusterMaking): Promise<PGlite> =>
  fromTemplateElseInitdb(
    (loadDataDir) => PGlite.create({ startParams: making.startParams, loadDataDir }),
    making,
  )
