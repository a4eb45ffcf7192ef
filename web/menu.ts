/** メニュー: where a signed-in user starts, with their お知らせ and レコメンド. */

import { Hono } from 'hono'
import { AGENT_EDITABLE_FIELDS, FIELD_LABELS, isMyNumberAgent } from '../core/domain/account.ts'
import type { Notice } from '../core/domain/notices.ts'
import { formatDateJa } from '../core/lib/format.ts'
import type { ExpiringSoon } from '../core/use-cases/menu/menu.ts'
import type { UseCases } from '../core/use-cases/use-cases.ts'
import { html, render } from './render.ts'
import { type AppEnv, toSignIn } from './session.ts'
import { recentChanges } from './sync-status.ts'

const ROLE_LABELS = { representative: '代表者', agent: '代理人' } as const
const KIND_HEADINGS = { notice: 'お知らせ', recommendation: 'レコメンド' } as const

/** One list of notices or recommendations, each a link to itself, the unread ones marked. */
const noticeList = (kind: Notice['kind'], notices: Notice[]) => {
  const mine = notices.filter((n) => n.kind === kind)
  const unread = mine.filter((n) => !n.readAt).length
  return html`<section>
  <h2>${KIND_HEADINGS[kind]}${unread > 0 ? `（未読 ${unread}件）` : ''}</h2>
  ${
    mine.length === 0
      ? html`<p>${KIND_HEADINGS[kind]}はありません。</p>`
      : html`<ul class="notices">${mine.map(
          (n) =>
            html`<li><a href="/notices/${n.id}">${n.readAt ? '' : html`<strong class="unread">未読</strong> `}${n.title}</a> <span class="hint">${formatDateJa(n.publishedAt)}</span></li>`,
        )}</ul>`
  }
</section>`
}

/** What expires within 60 days (or has expired), each with what to do about it. */
const expiringList = (items: ExpiringSoon[], cardKind: string) =>
  items.length === 0
    ? ''
    : html`<section class="warning" id="expiring-soon">
  <h2>有効期限が近いもの</h2>
  <ul>${items.map((e) => {
    const when = e.expired
      ? html`<strong>${formatDateJa(e.expiresAt)}に有効期限が切れました</strong>`
      : html`有効期限 ${formatDateJa(e.expiresAt)}（<strong>あと${e.daysLeft}日</strong>）`
    if (e.kind === 'mandate') {
      return html`<li>電子委任状（受付番号 ${e.mandate.referenceNumber}）: ${when}。電子委任状取扱事業者で新しい電子委任状を取得し、<a href="/mandate/expired">電子委任状更新の画面</a>で登録してください。</li>`
    }
    return html`<li>電子証明書（シリアル番号 ${e.certificate.serialNumber}）: ${when}。${
      cardKind === 'my-number'
        ? html`マイナンバーカードの電子証明書を更新した後、<a href="/renewal">電子証明書更新</a>で切り替えてください。`
        : html`新しい電子証明書を取得し、<a href="/user/edit">利用者情報更新の画面で追加</a>してください。`
    }</li>`
  })}</ul>
</section>`

const CHANGES_POLL = '/menu/changes'

export const menuRoutes = (menu: UseCases['menu']) => {
  const app = new Hono<AppEnv>()
  app.get('/', (c) => c.redirect(c.get('user') ? '/menu' : '/sign-in', 303))
  app.get('/menu', async (c) => {
    const user = c.get('user')
    if (!user) return toSignIn(c)
    const { business, notices, changes, expiring } = await menu.overview(user)
    return render(c, {
      title: 'メニュー',
      body: html`<p>${business?.name ?? ''}　${user.name} 様（${ROLE_LABELS[user.role]}）</p>
<nav aria-label="手続き">
  <ul class="menu">
    <li><a href="/user/edit">利用者情報更新</a><p class="hint">${
      user.role === 'representative'
        ? '事業者情報、利用者情報、資格情報、電子証明書を更新します。'
        : `${AGENT_EDITABLE_FIELDS.map((f) => FIELD_LABELS[f]).join('、')}、電子証明書情報を更新します。`
    }</p></li>
    ${
      isMyNumberAgent(user)
        ? html`<li><a href="/mandate/expired">電子委任状更新</a><p class="hint">電子委任状取扱事業者から取得した新しい電子委任状を、有効期限の前でも登録できます。代理人情報の削除もここから行います。</p></li>`
        : ''
    }
    ${
      user.role === 'representative'
        ? html`<li><a href="/business/history">変更履歴</a><p class="hint">事業者の変更の記録と、政府電子調達システム(GEPS)への連携状況を確認します。</p></li>`
        : ''
    }
  </ul>
</nav>
${expiringList(expiring, user.cardKind)}
${recentChanges(changes, CHANGES_POLL)}
${noticeList('notice', notices)}
${noticeList('recommendation', notices)}`,
    })
  })

  // The menu's list of changes, for its own refresh; a browser without htmx gets the menu.
  app.get(CHANGES_POLL, async (c) => {
    const user = c.get('user')
    if (!user) return toSignIn(c)
    c.header('Cache-Control', 'no-store')
    c.header('Vary', 'HX-Request, Cookie')
    if (c.req.header('hx-request') !== 'true') return c.redirect('/menu', 303)
    return c.html(recentChanges(await menu.recentChanges(user.id), CHANGES_POLL))
  })

  // One notice or recommendation of the user's own; reading it marks it read.
  app.get('/notices/:noticeId', async (c) => {
    const user = c.get('user')
    if (!user) return toSignIn(c)
    const notice = await menu.openNotice({ userId: user.id, noticeId: c.req.param('noticeId') })
    if (!notice) {
      return render(c, {
        title: 'お知らせ',
        status: 404,
        body: html`<p>このお知らせは見つかりませんでした。</p><p><a href="/menu">メニューへ</a></p>`,
      })
    }
    return render(c, {
      title: KIND_HEADINGS[notice.kind],
      body: html`<article><h2>${notice.title}</h2><p class="hint">${formatDateJa(notice.publishedAt)}</p><p>${notice.body}</p></article>
<p><a href="/menu">メニューへ</a></p>`,
    })
  })
  return app
}
