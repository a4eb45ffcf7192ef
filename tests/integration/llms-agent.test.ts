/**
 * A software agent with nothing but HTTP and an HTML parser (no browser, no JavaScript) completes
 * five flows from /llms.txt and the links and forms it finds (issue 7): the agent's update, the
 * representative's update, a certificate renewal (F2), a mandate renewal (F3) and an agent
 * deletion (F4). It takes each flow's first URL from its section of /llms.txt, and every field
 * it fills and button it presses must be named there; the rest it finds in the pages: hidden
 * fields, what the page already holds, where each form posts.
 */
import { DomUtils, parseDocument } from 'htmlparser2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Portal } from '../../main.ts'
import { startTestPortal } from '../support/portal.ts'

let portal: Portal & { close(): Promise<void> }
let llms: string
beforeAll(async () => {
  portal = await startTestPortal()
  const res = await fetch(`${portal.url}/llms.txt`)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
  llms = await res.text()
})
afterAll(async () => portal?.close())

type Node = ReturnType<typeof parseDocument>
type Element = ReturnType<typeof DomUtils.findAll>[number]

/** The section of /llms.txt under a heading that starts with `title`, up to the next heading. */
const section = (title: string): string => {
  const start = llms.indexOf(`### ${title}`)
  expect(start, `/llms.txt describes “${title}”`).toBeGreaterThanOrEqual(0)
  const end = llms.indexOf('\n##', start + 4)
  return llms.slice(start, end < 0 ? undefined : end)
}

/** The first URL a section says to GET. */
const firstGet = (text: string): string => {
  const url = /GET (\/[^\s:,)]*[^\s:,).])/.exec(text)?.[1]
  if (!url) throw new Error(`no GET in ${text.slice(0, 60)}`)
  return url
}

const text = (e: Element | Node) => DomUtils.textContent(e).replace(/\s+/g, ' ').trim()
const attr = (e: Element, name: string) => DomUtils.getAttributeValue(e, name)
const elements = (root: Node | Element, name: string) =>
  DomUtils.findAll((e) => e.name === name, 'children' in root ? root.children : [])

/** An agent: a cookie jar, the page it is on, and what it may do there (follow a link, submit a form). */
const agent = () => {
  const jar = new Map<string, string>()
  let page = { url: '', status: 0, doc: parseDocument('') }

  const request = async (method: string, url: string, body?: URLSearchParams) => {
    let location = url
    let init: RequestInit = { method, body }
    for (let hop = 0; hop < 5; hop++) {
      const res = await fetch(new URL(location, portal.url), {
        ...init,
        redirect: 'manual',
        headers: {
          cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(init.body && { 'content-type': 'application/x-www-form-urlencoded' }),
        },
      })
      for (const cookie of res.headers.getSetCookie()) {
        const [name, ...value] = (cookie.split(';')[0] ?? '').split('=')
        if (name) jar.set(name.trim(), value.join('='))
      }
      const next = res.headers.get('location')
      if (res.status >= 300 && res.status < 400 && next) {
        location = next
        init = { method: 'GET' }
        continue
      }
      page = {
        url: new URL(location, portal.url).pathname,
        status: res.status,
        doc: parseDocument(await res.text()),
      }
      return page
    }
    throw new Error(`too many redirects from ${url}`)
  }

  return {
    get: (url: string) => request('GET', url),
    page: () => page,
    heading: () => {
      const [h1] = elements(page.doc, 'h1')
      return h1 ? text(h1) : ''
    },
    /** The field messages and the error summary, if the page refused something. */
    refusals: () =>
      DomUtils.findAll(
        (e) => attr(e, 'id') === 'error-summary' || attr(e, 'class') === 'field-error',
        page.doc.children,
      ).map(text),
    /**
     * Presses the button labelled `label`: sends its form as a browser without JavaScript would
     * (the hidden fields, what the page filled in, the checked choices, the first option of a
     * select that has none chosen), with `values` typed in by name.
     */
    submit: async (label: string, values: Record<string, string> = {}) => {
      const button = DomUtils.findOne(
        (e) => e.name === 'button' && text(e) === label && attr(e, 'aria-hidden') !== 'true',
        page.doc.children,
      )
      if (!button) throw new Error(`no button ${label} on ${page.url}: ${text(page.doc).slice(0, 200)}`)
      let form: Element | null = button
      while (form && form.name !== 'form') form = form.parent as Element | null
      if (!form) throw new Error(`the button ${label} is in no form`)
      const fields = new URLSearchParams()
      for (const field of DomUtils.findAll(
        (e) => ['input', 'select', 'textarea'].includes(e.name),
        form.children,
      )) {
        const name = attr(field, 'name')
        if (!name || name in values) continue
        const type = attr(field, 'type') ?? 'text'
        if ((type === 'radio' || type === 'checkbox') && !DomUtils.hasAttrib(field, 'checked')) continue
        if (type === 'file' || type === 'submit') continue
        if (field.name === 'select') {
          const options = elements(field, 'option')
          const chosen = options.find((o) => DomUtils.hasAttrib(o, 'selected')) ?? options[0]
          if (chosen) fields.append(name, attr(chosen, 'value') ?? text(chosen))
          continue
        }
        fields.append(name, field.name === 'textarea' ? text(field) : (attr(field, 'value') ?? ''))
      }
      for (const [name, value] of Object.entries(values)) fields.append(name, value)
      const buttonName = attr(button, 'name')
      if (buttonName) fields.append(buttonName, attr(button, 'value') ?? '')
      return request((attr(form, 'method') ?? 'get').toUpperCase(), attr(form, 'action') ?? page.url, fields)
    },
  }
}

/**
 * Checks that a flow's section of /llms.txt, below its heading, names what the agent is about to
 * use: each field by its name, each button as "button <label>".
 */
const named = (flow: string, uses: { fields?: string[]; buttons?: string[]; urls?: string[] }) => {
  const body = flow.slice(flow.indexOf('\n') + 1)
  for (const field of uses.fields ?? [])
    expect(body, `/llms.txt names the field ${field}`).toMatch(
      new RegExp(`(^|[^A-Za-z])${field}([^A-Za-z]|$)`, 'm'),
    )
  for (const button of uses.buttons ?? [])
    expect(body, `/llms.txt names the button ${button}`).toMatch(new RegExp(`[Bb]utton:?\\s+${button}`))
  for (const url of uses.urls ?? []) expect(body, `/llms.txt names ${url}`).toContain(url)
}

/** Signs in as /llms.txt says, with a card of the development reader. */
const signIn = async (a: ReturnType<typeof agent>, cardId: string, pin: string) => {
  const flow = section('Sign in')
  named(flow, { fields: ['cardId', 'pin'], buttons: ['ログイン'] })
  await a.get(firstGet(flow))
  await a.submit('ログイン', { cardId, pin })
  expect(a.refusals()).toEqual([])
}

describe('an agent with HTTP and an HTML parser, from /llms.txt', () => {
  it('updates an agent’s own information (入札 花子)', async () => {
    const a = agent()
    await signIn(a, 'hanako-file', 'hanako-2026')
    const flow = section('Update user information')
    named(flow, { fields: ['title', 'phone'], buttons: ['確認', '更新'] })
    await a.get(firstGet(flow))
    expect(a.heading()).toBe('更新する利用者情報の入力画面(代表者以外の代理人等)')
    await a.submit('確認', { title: '係長', phone: '03-5555-0101' })
    expect(a.heading()).toBe('利用者情報の更新確認画面')
    await a.submit('更新')
    expect(a.heading()).toBe('利用者情報の更新完了画面')
    expect(a.page().url).toMatch(/^\/user\/complete\//)
    const stored = await portal.database.db
      .selectFrom('users')
      .select(['title', 'phone'])
      .where('name', '=', '入札 花子')
      .executeTakeFirstOrThrow()
    expect(stored).toEqual({ title: '係長', phone: '03-5555-0101' })
  })

  it('updates the representative’s and the business’s information (調達 太郎)', async () => {
    const a = agent()
    await signIn(a, 'taro-ic', '1234')
    const flow = section('Update user information')
    named(flow, { fields: ['department', 'businessPhone'], buttons: ['確認', '更新'] })
    await a.get(firstGet(flow))
    expect(a.heading()).toBe('更新する利用者情報の入力画面(代表者)')
    // A first try with a wrong phone number: refused by name, the agent corrects it.
    await a.submit('確認', { department: '経営企画部', businessPhone: '03-55X' })
    expect(a.page().status).toBe(422)
    expect(a.refusals().join()).toContain('電話番号')
    await a.submit('確認', { department: '経営企画部', businessPhone: '03-5555-0202' })
    expect(a.heading()).toBe('利用者情報の更新確認画面')
    await a.submit('更新')
    expect(a.heading()).toBe('利用者情報の更新完了画面')
    const business = await portal.database.db
      .selectFrom('businesses')
      .select('phone')
      .where('corporate_number', '=', '7123456789012')
      .executeTakeFirstOrThrow()
    expect(business.phone).toBe('03-5555-0202')
  })

  it('renews an expired certificate without signing in (更新 三郎, F2)', async () => {
    const a = agent()
    const flow = section('Renew a certificate')
    named(flow, { fields: ['kind', 'private', 'cardId', 'pin'], buttons: ['読込', '更新実行'] })
    await a.get(firstGet(flow))
    await a.submit('読込', { kind: 'private', cardId: 'saburo-ic-expired', pin: '5678' })
    expect(a.heading()).toBe('更新する電子証明書の読み込み画面')
    await a.submit('読込', { cardId: 'saburo-ic-new', pin: '5678' })
    expect(a.heading()).toBe('電子証明書の更新確認画面')
    await a.submit('更新実行')
    expect(a.page().url).toMatch(/^\/renewal\/complete\//)
    expect(a.refusals()).toEqual([])
  })

  it('renews an expired mandate, then deletes the agent (委任 次郎, F3 and F4)', async () => {
    const a = agent()
    await signIn(a, 'jiro-mynumber', '4321')
    const f3 = section('Expired mandate')
    named(f3, {
      urls: ['/mandate/expired'],
      fields: ['cardId', 'pin', 'referenceNumber'],
      buttons: ['電子委任状更新', '取得依頼'],
    })
    // Signed in, he is sent to the expired-mandate screen, as /llms.txt says.
    expect(a.page().url).toBe('/mandate/expired')
    await a.submit('電子委任状更新', { cardId: 'jiro-mynumber-signing', pin: 'ABC123' })
    expect(a.heading()).toBe('マイナンバーカード電子委任状取得依頼画面')
    await a.submit('取得依頼', { referenceNumber: 'POA-2026-0001' })
    expect(a.heading()).toBe('マイナンバーカード電子委任状確認画面')
    expect(a.refusals()).toEqual([])
    await a.submit('電子委任状更新')
    expect(a.heading()).toBe('マイナンバーカード電子委任状更新完了画面')

    const f4 = section('Delete the agent')
    named(f4, { fields: ['cardId', 'pin'], buttons: ['代理人情報削除', '削除'] })
    await a.get(firstGet(f4))
    await a.submit('代理人情報削除', { cardId: 'jiro-mynumber', pin: '4321' })
    expect(a.heading()).toBe('利用者情報削除確認(代理人・マイナンバーカード)画面')
    await a.submit('削除')
    expect(a.heading()).toBe('利用者情報削除完了(代理人・マイナンバーカード)画面')
    const left = await portal.database.db
      .selectFrom('users')
      .select('id')
      .where('name', '=', '委任 次郎')
      .execute()
    expect(left).toEqual([])
  })
})
