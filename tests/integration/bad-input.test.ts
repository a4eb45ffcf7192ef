/**
 * Bad input, generated (issue 7): at least 10,000 malformed requests across every form and route,
 * from four visitors (no one signed in, an agent, the representative, a My Number agent): wrong
 * types, missing and extra fields, 1 MB and 50 KB fields, control characters, invalid UTF-8,
 * other businesses' and users' ids, steps out of order and replayed final steps. The generator is
 * seeded (BAD_INPUT_SEED), so that a failure can be replayed.
 *
 * What must hold:
 * - no answer is 500 or above, and no redirect leaves the portal;
 * - every refusal of a field names it: each field message stands by a field of that name and
 *   the error summary links to it; a text field given a value no field accepts is refused by name;
 * - another user's change, notice or certificate is never shown (404);
 * - the database is what it was before: every table but those meant to record attempts and
 *   session state (sessions and their drafts, sign-in failures, the audit log, the cards' PIN
 *   tries), and no job was queued.
 *
 * A body over the 64 KB limit is refused whole (413) before any field of it is read, so that
 * refusal cannot name a field; a 50 KB field, within the limit, must be refused by name.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USER_IDS } from '../../adapters/dev/demo-data.ts'
import type { Portal } from '../../main.ts'
import { pathOf, textFieldsOf } from '../support/form-client.ts'
import { startTestPortal } from '../support/portal.ts'
import { portalClient, signedInClient } from '../support/portal-client.ts'

const SEED = Number(process.env.BAD_INPUT_SEED ?? 20261128)
const REQUESTS = 10_000

let portal: Portal & { close(): Promise<void> }
beforeAll(async () => {
  // Without workers, nothing moves in the database but what a request does.
  portal = await startTestPortal({ workers: false })
})
afterAll(async () => portal?.close())

/** A small seeded generator (mulberry32), so that a run can be replayed. */
const seeded = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T
  return { next, int, pick }
}

type Client = ReturnType<typeof portalClient>
type Visitor = { name: string; client: Client }
type Form = { action: string; fields: [string, string][]; buttons: string[] }

/** Tables meant to change on a refused request: session state and the records of attempts. */
const CHANGE_ALLOWED = ['sessions', 'drafts', 'sign_in_failures', 'audit_log']

/** Every row of the portal's tables but those, sorted; the cards without their PIN tries; the jobs queued. */
const snapshot = async () => {
  const db = portal.database.db
  const { rows: tables } = await sql<{ schema: string; name: string }>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_schema in ('public', 'development') and table_type = 'BASE TABLE'
    order by table_schema, table_name`.execute(db)
  const out: Record<string, string[]> = {}
  for (const { schema, name } of tables) {
    if (CHANGE_ALLOWED.includes(name)) continue
    const { rows } = await sql<{
      row: string
    }>`select row_to_json(t)::text as row from ${sql.id(schema, name)} t`.execute(db)
    out[name] = rows
      .map((r) => (name === 'virtual_cards' ? r.row.replace(/"wrong_tries":\d+,?/, '') : r.row))
      .sort()
  }
  const { rows: jobs } = await sql<{ row: string }>`
    select json_build_object('name', name, 'data', data)::text as row from pgboss.job
    where name in ('geps-sync', 'mail', 'geps-sync-dead', 'mail-dead')`.execute(db)
  out['pgboss.job'] = jobs.map((r) => r.row).sort()
  return out
}

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

/** The forms of a page: where each posts, its fields with the values the page gave them, its buttons. */
const formsOf = (page: string): Form[] =>
  [...page.matchAll(/<form\b[^>]*\baction="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].map((m) => {
    const inner = m[2] ?? ''
    const fields: [string, string][] = []
    for (const input of inner.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
      const attrs = input[2] ?? ''
      const name = /\bname="([^"]+)"/.exec(attrs)?.[1]
      if (!name || name === 'action') continue
      const type = /\btype="([^"]+)"/.exec(attrs)?.[1] ?? 'text'
      if ((type === 'radio' || type === 'checkbox') && !/\bchecked\b/.test(attrs)) continue
      fields.push([name, decode(/\bvalue="([^"]*)"/.exec(attrs)?.[1] ?? '')])
    }
    const buttons = [...inner.matchAll(/<button[^>]*\bname="action"[^>]*\bvalue="([^"]+)"/g)].map((b) =>
      decode(b[1] ?? ''),
    )
    return { action: decode(m[1] ?? ''), fields, buttons }
  })

/** Text values that no field of the portal takes: each must be refused by the field's name. */
const REFUSED_EVERYWHERE = [
  'a\u0007b',
  'x\u0000y',
  '😀',
  '\u202Eabc',
  '\uD800',
  'a'.repeat(50_000),
  '\r\n\u001b[31m',
]

const badValues = (ids: string[]) => [
  ...REFUSED_EVERYWHERE,
  '',
  ' ',
  '　',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  '../../../etc/passwd',
  '%00',
  '%FF%FE',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x7fffffff',
  'true',
  '[object Object]',
  '{"$ne":null}',
  '__proto__',
  'ｱｲｳｴｵ',
  '①②③',
  '𠮷野家',
  'Ａ'.repeat(300),
  '1'.repeat(300),
  ...ids,
]

/** Names a form never has: what a forger would try, and junk. */
const EXTRA_NAMES = [
  'userId',
  'businessId',
  'role',
  'id',
  'version',
  'cardKind',
  '__proto__',
  'constructor',
  'user[role]',
  'corporateNumber',
  'x'.repeat(200),
]

/** A value as a path segment (a lone surrogate made whole: a URL cannot carry one), cut at 300 characters. */
const inPath = (value: string) => encodeURIComponent(value.toWellFormed()).slice(0, 300)

const INVALID_UTF8 = ['%FF', '%C3%28', '%E3%81', '%ED%A0%80', '%F8%88%80%80%80', '%C0%AF']

describe('malformed requests', () => {
  it(
    `answers ${REQUESTS} of them without a 500, names every refused field, and changes nothing`,
    async () => {
      const rnd = seeded(SEED)
      const db = portal.database.db
      const [sample] = portal.mandateSimulators ?? []
      if (!sample) throw new Error('the test portal runs the mandate simulators')

      // The visitors, and the completed steps whose replays must change nothing.
      const anonymous = portalClient(portal)
      await anonymous.get('/renewal')
      await anonymous.post('/renewal', { kind: 'private', cardId: 'saburo-ic-expired', pin: '5678' })
      await anonymous.get('/renewal/new')
      await anonymous.post('/renewal/new', { cardId: 'saburo-ic-new', pin: '5678' })
      await anonymous.get('/renewal/confirm')
      const renewalDraft = anonymous.hiddenFields().draftId ?? ''
      const renewed = await anonymous.post('/renewal/confirm', {})
      expect(pathOf(renewed.location)).toMatch(/^\/renewal\/complete\//)

      const hanako = await signedInClient(portal, 'hanako-file', 'hanako-2026')
      const hanakoForm = textFieldsOf((await hanako.get('/user/edit?fresh=1')).text)
      expect(
        (await hanako.post('/user/edit', { ...hanakoForm, title: '主任', action: 'confirm' })).status,
      ).toBe(303)
      await hanako.get('/user/confirm')
      const updateDraft = hanako.hiddenFields().draftId ?? ''
      const updated = await hanako.post('/user/confirm', {})
      const hanakoChange = pathOf(updated.location).split('/').pop() ?? ''
      expect(hanakoChange).toMatch(/^[0-9a-f-]{36}$/)

      const jiro = await signedInClient(portal, 'jiro-mynumber', '4321')
      await jiro.get('/mandate/expired')
      await jiro.post('/mandate/expired', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })
      await jiro.get('/mandate/renewal/request')
      const poa = {
        providerId: sample.id,
        corporateNumber: '7123456789012',
        referenceNumber: 'POA-2026-0001',
      }
      expect((await jiro.post('/mandate/renewal/request', poa)).location).toBe('/mandate/renewal/confirm')
      await jiro.get('/mandate/renewal/confirm')
      const mandateDraft = jiro.hiddenFields().draftId ?? ''
      const mandateRenewed = await jiro.post('/mandate/renewal/confirm', {})
      const jiroChange = pathOf(mandateRenewed.location).split('/').pop() ?? ''
      // A second read, so that his request form is open for the requests below.
      await jiro.get('/mandate/expired')
      await jiro.post('/mandate/expired', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })

      const taro = await signedInClient(portal, 'taro-ic', '1234')
      const visitors: Visitor[] = [
        { name: 'no one', client: anonymous },
        { name: '入札 花子', client: hanako },
        { name: '調達 太郎', client: taro },
        { name: '委任 次郎', client: jiro },
      ]

      // Ids that are someone else's, or no one's.
      const idsOf = async (table: 'certificates' | 'qualifications' | 'user_changes') =>
        (await db.selectFrom(table).select('id').execute()).map((r) => r.id)
      const certificateIds = await idsOf('certificates')
      const hanakos = await db
        .selectFrom('certificates')
        .select('id')
        .where('user_id', '=', DEMO_USER_IDS.hanako)
        .execute()
      const qualificationIds = await idsOf('qualifications')
      // Opening one's own notice marks it read, rightly: the ids sent are of no visitor's notices.
      const visitorIds: string[] = [DEMO_USER_IDS.hanako, DEMO_USER_IDS.taro, DEMO_USER_IDS.jiro]
      const othersNotices = (await db.selectFrom('notices').select(['id', 'user_id']).execute())
        .filter((n) => !visitorIds.includes(n.user_id))
        .map((n) => n.id)
      expect(othersNotices.length).toBeGreaterThan(0)
      const changeIds = await idsOf('user_changes')
      const foreignIds = [
        ...certificateIds,
        ...qualificationIds,
        ...othersNotices,
        ...changeIds,
        ...Object.values(DEMO_USER_IDS),
        renewalDraft,
        updateDraft,
        mandateDraft,
        crypto.randomUUID(),
        '00000000-0000-0000-0000-000000000000',
      ]
      const values = badValues(foreignIds)

      // Every form each visitor can reach, as the pages give them.
      const pagesOf: Record<string, string[]> = {
        'no one': ['/sign-in', '/renewal'],
        '入札 花子': [
          '/menu',
          '/user/edit',
          '/user/certificates/add',
          `/user/certificates/remove/${hanakos[0]?.id}`,
        ],
        '調達 太郎': ['/menu', '/user/edit', '/user/certificates/add'],
        '委任 次郎': ['/mandate/renewal/request', '/mandate/deletion'],
      }
      const forms: { visitor: Visitor; form: Form }[] = []
      for (const visitor of visitors) {
        for (const path of pagesOf[visitor.name] ?? []) {
          const page = (await visitor.client.get(path)).text
          for (const form of formsOf(page)) {
            if (form.action === '/sign-out') continue // a sign-out with junk is still a sign-out
            forms.push({ visitor, form })
          }
        }
      }
      const actions = new Set(forms.map((f) => f.form.action.replace(/[0-9a-f-]{36}$/, ':id')))
      expect([...actions]).toEqual(
        expect.arrayContaining([
          '/sign-in',
          '/renewal',
          '/user/edit',
          '/user/certificates/add',
          '/user/certificates/remove/:id',
          '/mandate/renewal/request',
          '/mandate/deletion',
        ]),
      )
      const postRoutes = [
        ...new Set(portal.app.routes.filter((r) => r.method === 'POST').map((r) => r.path)),
      ].filter((p) => p !== '/sign-out')
      const getRoutes = [
        ...new Set(portal.app.routes.filter((r) => r.method === 'GET').map((r) => r.path)),
      ].filter((p) => !p.includes('*'))

      const before = await snapshot()
      // What the steps above stored is in it: the comparison below has something to compare.
      expect(before.users?.join()).toContain('主任')
      expect(before['pgboss.job']?.length).toBeGreaterThanOrEqual(6)

      // ---- Sending, and what every answer must be -------------------------------------------------
      const failures: string[] = []
      const statuses = new Map<number, number>()
      /** Each visitor's field refusals: a visitor whose session had ended or whose token went stale would have none. */
      const refusalsOf = new Map<string, number>()
      let namedRefusals = 0
      const tokenOf = (client: Client) => client.hiddenFields()._csrf ?? ''
      const cookieOf = (client: Client) => [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
      const send = async (
        visitor: Visitor,
        method: 'GET' | 'POST',
        path: string,
        body?: { type?: string; data: BodyInit },
        headers: Record<string, string> = {},
      ) => {
        const res = await portal.app.request(path, {
          method,
          headers: {
            cookie: cookieOf(visitor.client),
            origin: 'http://localhost',
            'x-csrf-token': tokenOf(visitor.client),
            ...(body?.type && { 'content-type': body.type }),
            ...headers,
          },
          body: body?.data,
        })
        for (const cookie of res.headers.getSetCookie()) {
          const [name, value] = (cookie.split(';')[0] ?? '').split('=')
          if (name === 'sid' && value) visitor.client.cookies.set('sid', value)
        }
        const text = await res.text()
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        if (res.status === 422) refusalsOf.set(visitor.name, (refusalsOf.get(visitor.name) ?? 0) + 1)
        return { status: res.status, text, location: res.headers.get('location') }
      }
      const check = (
        what: string,
        answer: { status: number; text: string; location: string | null },
        refusedField?: string,
      ) => {
        const fail = (why: string) => failures.push(`${what}: ${why} (status ${answer.status})`)
        if (answer.status >= 500) fail('500 or above')
        if (answer.location && !/^\/(?!\/)/.test(answer.location))
          fail(`redirect off the portal: ${answer.location}`)
        if (answer.status === 422) {
          for (const m of answer.text.matchAll(/class="field-error" id="field-([A-Za-z0-9]+)-error"/g)) {
            const name = m[1]
            if (!new RegExp(`id="field-${name}"`).test(answer.text))
              fail(`a message for ${name}, which is no field here`)
            if (!answer.text.includes(`href="#field-${name}"`)) fail(`the summary does not link to ${name}`)
          }
          if (!answer.text.includes('id="error-summary"')) fail('a refusal with no error summary')
        }
        if (refusedField) {
          if (answer.status !== 422) fail(`${refusedField} was not refused`)
          else if (!answer.text.includes(`id="field-${refusedField}-error"`))
            fail(`the refusal does not name ${refusedField}`)
          else namedRefusals++
        }
      }

      const urlencoded = (fields: [string, string][]) => {
        const params = new URLSearchParams()
        for (const [k, v] of fields) params.append(k, v)
        return params.toString()
      }
      /** The text fields of the input screen that the visitor may change, which must refuse by name. */
      const namingFields = (visitor: Visitor, form: Form) =>
        form.action === '/user/edit' || form.action === '/mandate/renewal/request'
          ? form.fields
              .map(([name]) => name)
              .filter(
                (name) =>
                  !['_csrf', 'draftId', 'providerId'].includes(name) && !name.startsWith('qualification'),
              )
              .filter(() => visitor.name !== 'no one')
          : []

      let sent = 0
      while (sent < REQUESTS) {
        const kind = rnd.int(20)
        if (kind < 13) {
          // A form, mutated.
          const { visitor, form } = rnd.pick(forms)
          let fields: [string, string][] = form.fields.map(([k, v]) => [
            k,
            k === '_csrf' ? tokenOf(visitor.client) : v,
          ])
          if (form.buttons.length > 0) fields.push(['action', rnd.pick(form.buttons)])
          let refusedField: string | undefined
          let how: string
          const named = namingFields(visitor, form)
          const mutation = named.length > 0 && rnd.next() < 0.3 ? 0 : 1 + rnd.int(8)
          if (mutation === 0) {
            // A value no field takes, in one field: refused by name.
            const name = rnd.pick(named)
            const value = rnd.pick(REFUSED_EVERYWHERE)
            fields = fields.filter(([k]) => k !== 'action').map(([k, v]) => [k, k === name ? value : v])
            fields.push(['action', 'confirm'])
            // The request form checks its fields before it asks the provider, so it names them too.
            refusedField = name
            how = `${name}=${JSON.stringify(value.slice(0, 20))}`
          } else if (mutation <= 2) {
            const name = rnd.pick(fields)[0]
            const value = rnd.pick(values)
            fields = fields.map(([k, v]) => [k, k === name ? value : v])
            how = `${name}=${JSON.stringify(value.slice(0, 20))}`
          } else if (mutation === 3) {
            fields = fields.filter(() => rnd.next() < 0.5)
            how = 'fields missing'
          } else if (mutation === 4) {
            fields.push(
              [rnd.pick(EXTRA_NAMES), rnd.pick(values)],
              [rnd.pick(EXTRA_NAMES), rnd.pick(foreignIds)],
            )
            how = 'extra fields'
          } else if (mutation === 5) {
            const [name, value] = rnd.pick(fields)
            fields.push([name, rnd.pick(values)], [name, value])
            how = `${name} twice`
          } else if (mutation === 6) {
            fields.push([
              'action',
              rnd.pick(['remove-certificate:', 'remove-qualification:', 'add-', ''] as const) +
                rnd.pick(foreignIds),
            ])
            how = 'an action on someone else’s id'
          } else if (mutation === 7) {
            const name = rnd.pick(fields)[0]
            const raw = `${urlencoded(fields.filter(([k]) => k !== name))}&${encodeURIComponent(name)}=a${rnd.pick(INVALID_UTF8)}b`
            const answer = await send(visitor, 'POST', form.action, {
              type: 'application/x-www-form-urlencoded',
              data: raw,
            })
            check(`${visitor.name} POST ${form.action} invalid UTF-8 in ${name}`, answer)
            sent++
            continue
          } else {
            // The same fields as multipart, a text field sent as a file.
            const body = new FormData()
            const fileField = rnd.pick(fields)[0]
            for (const [k, v] of fields) body.append(k, k === fileField ? new File([v || 'x'], 'x.txt') : v)
            const answer = await send(visitor, 'POST', form.action, { data: body })
            check(`${visitor.name} POST ${form.action} multipart with ${fileField} a file`, answer)
            sent++
            continue
          }
          const answer = await send(visitor, 'POST', form.action, {
            type: 'application/x-www-form-urlencoded',
            data: urlencoded(fields),
          })
          check(`${visitor.name} POST ${form.action} ${how}`, answer, refusedField)
          sent++
        } else if (kind < 16) {
          // Any POST route, from any visitor, with a body of the wrong kind or out of order.
          const visitor = rnd.pick(visitors)
          const path = rnd.pick(postRoutes).replace(/:[^/]+/g, () => inPath(rnd.pick(values)))
          const shape = rnd.int(6)
          const body =
            shape === 0
              ? {
                  type: 'application/json',
                  data: JSON.stringify({
                    draftId: rnd.pick(foreignIds),
                    userId: rnd.pick(foreignIds),
                    pin: 1234,
                  }),
                }
              : shape === 1
                ? { type: 'text/plain', data: 'hello' }
                : shape === 2
                  ? {
                      type: 'application/x-www-form-urlencoded',
                      data: new Uint8Array([0x61, 0x3d, 0xff, 0xfe, 0x26, 0xc3]),
                    }
                  : shape === 3
                    ? { type: 'multipart/form-data; boundary=nothing', data: '--nothing\r\nbroken' }
                    : {
                        type: 'application/x-www-form-urlencoded',
                        data: urlencoded([
                          ['draftId', rnd.pick(foreignIds)],
                          [rnd.pick(EXTRA_NAMES), rnd.pick(values)],
                        ]),
                      }
          const answer = await send(visitor, 'POST', path, body)
          check(`${visitor.name} POST ${path.slice(0, 80)} body ${shape}`, answer)
          sent++
        } else if (kind < 19) {
          // Any GET route with someone else's id, or junk, and junk in the query.
          const visitor = rnd.pick(visitors)
          const route = rnd.pick(getRoutes)
          const path = `${route.replace(/:[^/]+/g, () => inPath(rnd.pick(values)))}?${rnd.pick([
            'fresh=%FF',
            'view=%00',
            'mode=simple&return=//evil.example/',
            'return=https://evil.example/',
            'why=<script>',
            `changeId=${rnd.pick(foreignIds)}`,
            'a=1&a=2',
          ])}`
          const answer = await send(visitor, 'GET', path)
          check(`${visitor.name} GET ${path.slice(0, 100)}`, answer)
          sent++
        } else {
          // A 1 MB field: refused whole (413), before any field is read. Or a completed step, replayed.
          const replay = rnd.int(4)
          if (replay === 0) {
            const { visitor, form } = rnd.pick(forms)
            const data = `${urlencoded(form.fields)}&${form.fields[0]?.[0] ?? 'x'}=${'a'.repeat(1024 * 1024)}`
            const answer = await send(visitor, 'POST', form.action, {
              type: 'application/x-www-form-urlencoded',
              data,
            })
            if (answer.status !== 413)
              failures.push(`${visitor.name} POST ${form.action} 1 MB: ${answer.status}, not 413`)
            check(`${visitor.name} POST ${form.action} 1 MB`, answer)
          } else {
            const [visitor, path, draftId] = rnd.pick([
              [visitors[1], '/user/confirm', updateDraft],
              [visitors[0], '/renewal/confirm', renewalDraft],
              [visitors[3], '/mandate/renewal/confirm', mandateDraft],
              [visitors[2], '/user/confirm', updateDraft],
            ] as const)
            if (!visitor) throw new Error('no visitor')
            const answer = await send(visitor, 'POST', path, {
              type: 'application/x-www-form-urlencoded',
              data: urlencoded([
                ['_csrf', tokenOf(visitor.client)],
                ['draftId', draftId],
              ]),
            })
            check(`${visitor.name} replays POST ${path}`, answer)
          }
          sent++
        }
      }

      // Someone else's change, notice and certificate are not shown, whoever asks.
      for (const [path, visitor] of [
        [`/user/complete/${hanakoChange}`, visitors[2]],
        [`/user/complete/${jiroChange}`, visitors[1]],
        [`/mandate/renewal/complete/${jiroChange}`, visitors[1]],
        ...certificateIds
          .filter((id) => !hanakos.some((h) => h.id === id))
          .map((id) => [`/user/certificates/remove/${id}`, visitors[1]] as const),
        ...othersNotices.map((id) => [`/notices/${id}`, visitors[1]] as const),
      ] as const) {
        if (!visitor) continue
        const answer = await send(visitor, 'GET', path)
        if (answer.status === 200) failures.push(`${visitor.name} GET ${path}: someone else's, shown`)
      }

      expect(failures.slice(0, 30)).toEqual([])
      expect(failures.length).toBe(0)
      expect(sent).toBeGreaterThanOrEqual(REQUESTS)
      expect(namedRefusals).toBeGreaterThan(200)
      // The requests reached the handlers: refusals of fields, not only of the whole request.
      expect(statuses.get(422) ?? 0).toBeGreaterThan(1000)
      for (const { name } of visitors) expect(refusalsOf.get(name) ?? 0, name).toBeGreaterThan(100)
      expect(await snapshot()).toEqual(before)
    },
    20 * 60_000,
  )
})
