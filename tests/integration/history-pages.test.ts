/**
 * 変更履歴 a page at a time: 100 entries, then a link to the ones before, by keyset (the last
 * entry's time and id), never by offset. Every change shows once across the pages, in order; a
 * link cut short shows the newest page.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../adapters/dev/demo-data.ts'
import { kyselyChangeStore } from '../../adapters/stores/change-store.kysely.ts'
import { NO_USER_FIELDS } from '../../core/domain/account.ts'
import { HISTORY_LENGTH } from '../../core/use-cases/history/history.ts'
import { startTestPortal } from '../support/portal.ts'
import { signedInClient } from '../support/portal-client.ts'

let portal: Awaited<ReturnType<typeof startTestPortal>>
beforeAll(async () => {
  portal = await startTestPortal({ workers: false })
})
afterAll(async () => portal?.close())

const BUSINESS = '00000000-0000-4000-8000-000000000001'
/** Marks each made change's row: its new 役職名. */
const titleOf = (i: number) => `頁確認${String(i).padStart(3, '0')}`

it('pages 変更履歴 by keyset: each change once, newest first, and a cut link shows the newest page', async () => {
  // 150 old changes of the business, five to each instant (ties are ordered by id).
  const store = kyselyChangeStore(portal.database.db)
  const made = 150
  for (let i = 0; i < made; i++) {
    const at = new Date(Date.UTC(2001, 0, 1) + Math.floor(i / 5) * 60_000)
    const now = new Date()
    await store.record({
      id: crypto.randomUUID(),
      receiptNumber: `20010101-P${i}`,
      userId: DEMO_USER_IDS.hanako,
      businessId: BUSINESS,
      kind: 'user-contact-updated',
      before: NO_USER_FIELDS,
      after: { ...NO_USER_FIELDS, title: titleOf(i) },
      createdAt: at,
      sync: { state: 'done', attempts: 1, updatedAt: now },
    })
  }
  const taro = await signedInClient(portal, 'taro-ic', '1234')
  const shown: number[] = []
  let path: string | undefined = '/business/history'
  let pages = 0
  while (path) {
    const page = await taro.get(path)
    expect(page.status).toBe(200)
    const rows = [...page.text.matchAll(/<tr>\s*<td>/g)].length
    expect(rows).toBeLessThanOrEqual(HISTORY_LENGTH)
    for (const m of page.text.matchAll(/→ 頁確認(\d{3})/g)) shown.push(Number(m[1]))
    pages++
    path = /<a href="(\/business\/history\?before=[^"]+)" rel="next">/
      .exec(page.text)?.[1]
      ?.replaceAll('&amp;', '&')
    if (pages > 1) expect(page.text).toContain('<a href="/business/history">最新の変更へ</a>')
  }
  expect(pages).toBeGreaterThanOrEqual(2)
  // Every one once, newest first (among equal times in the order of their ids).
  expect(shown).toHaveLength(made)
  expect(new Set(shown).size).toBe(made)
  const instants = shown.map((i) => Math.floor(i / 5))
  expect(instants).toEqual([...instants].sort((a, b) => b - a))
  // A link cut short, or made up: the newest page, not an error.
  for (const cut of [
    '?before=97',
    '?before=x.y',
    `?before=${'9'.repeat(16)}.0`,
    `?before=1.${'-'.repeat(36)}`,
  ]) {
    const page = await taro.get(`/business/history${cut}`)
    expect(page.status, cut).toBe(200)
    expect(page.text).toContain('<h1>変更履歴</h1>')
  }
})
