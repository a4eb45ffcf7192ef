/**
 * A new PGlite cluster (initdb's, started once and checkpointed), kept as a tar beside the
 * installed packages. PGlite runs initdb for every new cluster: 1.7 s on this machine, most of a
 * first `npm start` and of every test's database in memory. Unpacking the same files takes a
 * fraction of that, and it is how PGlite itself fills a new folder (initdb in memory, then its
 * files unpacked from a tar).
 *
 * `npm install` makes it (postinstall runs this file). Its name holds PGlite's version, so a
 * cluster made by another PGlite is never loaded; it is written under another name, synced and then
 * renamed, so an install killed midway leaves none (and the next install removes what it left). A
 * template that fails to load anyway is given up for initdb (adapters/db/pglite-folder.ts). Every
 * cluster made from it has the same system identifier, which nothing here uses. Where it is
 * missing, or out of reach (a runtime that resolves packages its own way), PGlite runs initdb.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openAsBlob,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'

/** node_modules/.cache/pglite-initdb/<PGlite's version>.tar, or undefined where PGlite is not a file. */
export const initdbTemplatePath = (): string | undefined => {
  let entry: string
  try {
    entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'))
  } catch {
    return undefined
  }
  const marker = `${sep}node_modules${sep}`
  const at = entry.lastIndexOf(marker)
  if (at < 0) return undefined
  const nodeModules = entry.slice(0, at + marker.length - 1)
  const manifest = join(nodeModules, '@electric-sql', 'pglite', 'package.json')
  if (!existsSync(manifest)) return undefined
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }
  return join(nodeModules, '.cache', 'pglite-initdb', `${version}.tar`)
}

/**
 * The template for a new cluster, if `npm install` made one for this PGlite: a Blob over the file,
 * which PGlite reads once. A Blob made of the file's bytes read beforehand (`new Blob([buffer])`)
 * copied the 40 MB and read them back: about 0.4 s more CPU at each new cluster (docs/benchmarks.md).
 */
export const initdbTemplate = async (): Promise<Blob | undefined> => {
  const path = initdbTemplatePath()
  if (!path) return undefined
  try {
    return await openAsBlob(path)
  } catch {
    // None made (or gone: an install replacing it): initdb makes the cluster. One replaced after
    // this fails PGlite's read of it, and initdb makes the cluster then (pglite-folder.ts).
    return undefined
  }
}

/**
 * Runs initdb once (in memory) and keeps its cluster, checkpointed, as the template; what the
 * folder held before (other versions' templates, what a killed install left) goes.
 */
export const makeInitdbTemplate = async (): Promise<string | undefined> => {
  const path = initdbTemplatePath()
  if (!path) return undefined
  const pglite = await PGlite.create()
  const partial = `${path}.${process.pid}.partial`
  try {
    // Everything written to its (memory) files before they are copied.
    await pglite.exec('CHECKPOINT')
    const tar = new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer())
    mkdirSync(dirname(path), { recursive: true })
    for (const name of readdirSync(dirname(path))) rmSync(join(dirname(path), name), { force: true })
    // On the disk before it takes its name: a power cut never leaves a short template.
    const fd = openSync(partial, 'w')
    try {
      writeSync(fd, tar)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(partial, path)
    return path
  } finally {
    rmSync(partial, { force: true })
    await pglite.close()
  }
}

if (import.meta.main) {
  const started = performance.now()
  // A production install (npm ci --omit=dev, or with NODE_ENV=production, where npm leaves the
  // development packages out by default) runs on PostgreSQL: no template for it.
  const production =
    (process.env.npm_config_omit ?? '').split(/[\s,]+/).includes('dev') ||
    process.env.NODE_ENV === 'production'
  const path = production ? undefined : await makeInitdbTemplate()
  console.log(
    path
      ? `PGlite's initdb kept for new clusters: ${path} (${Math.round(performance.now() - started)} ms)`
      : `PGlite's initdb not kept (${production ? 'a production install' : 'PGlite is not installed as files here'}): new clusters run initdb`,
  )
}
