/** 変更履歴: the business's committed changes, for the representative, newest first. */
import { Hono } from 'hono'
import { periodName } from '../core/domain/qualifications.ts'
import { formatDateTimeJa } from '../core/lib/format.ts'
import type { ChangeCursor } from '../core/ports.ts'
import { HISTORY_LENGTH } from '../core/use-cases/history/history.ts'
import type { UseCases } from '../core/use-cases/use-cases.ts'
import { html, render } from './render.ts'
import { type AppEnv, signedIn, toSignIn } from './session.ts'
import { SYNC_LABELS } from './sync-status.ts'

const TITLE = '変更履歴'

/**
 * Where a page starts, in the link to it: the last entry's time and id (`?before=<ms>.<id>`). One
 * that cannot be read (a link cut short, say) shows the newest page.
 */
const CURSOR = /^(\d{1,15})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/
const cursorOf = (text: string | undefined): ChangeCursor | undefined => {
  const m = text ? CURSOR.exec(text) : null
  return m?.[1] && m[2] ? { createdAt: new Date(Number(m[1])), id: m[2] } : undefined
}
const cursorText = (c: ChangeCursor) => `${c.createdAt.getTime()}.${c.id}`

export const historyRoutes = (history: UseCases['history']) => {
  const app = new Hono<AppEnv>()
  const historyOf = history.ofBusiness

  app.get('/business/history', async (c) => {
    if (!c.get('user')) return toSignIn(c)
    const before = cursorOf(c.req.query('before'))
    const history = await historyOf(signedIn(c).user.id, before)
    if (!history.ok) {
      return render(c, {
        title: TITLE,
        status: 403,
        body: html`<p>変更履歴は代表者のみが確認できます。</p><p><a href="/menu">メニューへ</a></p>`,
      })
    }
    return render(c, {
      title: TITLE,
      body: html`<p>事業者情報・利用者情報・資格情報・電子証明書の変更の記録です（新しい順、1ページに${HISTORY_LENGTH}件）。</p>
${
  history.value.entries.length === 0
    ? html`<p>${before ? 'これより前の変更はありません。' : 'まだ変更はありません。'}</p>`
    : html`<table class="history">
  <thead><tr><th scope="col">日時</th><th scope="col">変更者</th><th scope="col">変更内容</th><th scope="col">GEPS連携</th></tr></thead>
  <tbody>${history.value.entries.map(
    ({ change, madeBy, fieldChanges, erasedFields }) => html`<tr>
    <td>${formatDateTimeJa(change.createdAt)}</td>
    <td>${madeBy}</td>
    <td><ul>
      ${fieldChanges.map((f) => html`<li>${f.label}: ${f.before || '（なし）'} → ${f.after || '（なし）'}</li>`)}
      ${erasedFields.map((label) => html`<li>${label}を変更（内容は利用者の削除に伴い消去）</li>`)}
      ${(change.qualifications?.added ?? []).map((q) => html`<li>資格情報を追加: ${periodName(q.firstYear)} ${q.kind} ${q.grade}</li>`)}
      ${(change.qualifications?.removed ?? []).map((q) => html`<li>資格情報を削除: ${periodName(q.firstYear)} ${q.kind} ${q.grade}</li>`)}
      ${change.kind === 'certificate-renewed' ? html`<li>電子証明書更新</li>` : ''}
      ${change.kind === 'mandate-renewed' ? html`<li>電子委任状更新</li>` : ''}
      ${change.kind === 'user-deleted' ? html`<li>利用者情報削除（マイナンバーカードで登録した代理人）</li>` : ''}
      ${(change.certificates?.added ?? []).map((x) => html`<li>${change.kind === 'certificate-renewed' ? '更新先の電子証明書' : '電子証明書を追加'}: シリアル番号 ${x.serialNumber}</li>`)}
      ${(change.certificates?.removed ?? []).map((x) => html`<li>${change.kind === 'certificate-renewed' ? '更新元の電子証明書' : '電子証明書を削除'}: シリアル番号 ${x.serialNumber}</li>`)}
    </ul></td>
    <td>${SYNC_LABELS[change.sync.state]}</td>
  </tr>`,
  )}</tbody>
</table>`
}
${
  history.value.next || before
    ? html`<nav aria-label="変更履歴のページ"><ul class="pages">
${before ? html`<li><a href="/business/history">最新の変更へ</a></li>` : ''}
${history.value.next ? html`<li><a href="/business/history?before=${cursorText(history.value.next)}" rel="next">さらに前の${HISTORY_LENGTH}件</a></li>` : ''}
</ul></nav>`
    : ''
}
<p><a href="/menu">メニューへ戻る</a></p>`,
    })
  })
  return app
}
