/**
 * What the screens of F3 (電子委任状更新) and F4 (利用者情報削除) share: only a My Number agent
 * reaches them, and both show the mandate as the manual lays it out.
 */
import type { MiddlewareHandler } from 'hono'
import { isMyNumberAgent } from '../core/domain/account.ts'
import type { Mandate } from '../core/domain/mandates.ts'
import { formatDateJa } from '../core/lib/format.ts'
import { readOnlyRows } from './forms.ts'
import { html, render } from './render.ts'
import { type AppEnv, toSignIn } from './session.ts'

export const NOT_A_MY_NUMBER_AGENT = 'この手続きは、マイナンバーカードで登録した代理人の方のものです。'

/** Only a signed-in My Number agent passes: F3 and F4 are theirs only (their use cases refuse anyone else too). */
export const myNumberAgentsOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const user = c.get('user')
  if (!user) return toSignIn(c)
  if (!isMyNumberAgent(user)) {
    return render(c, {
      title: 'この手続きは利用できません',
      status: 403,
      body: html`<p>${NOT_A_MY_NUMBER_AGENT}</p><p><a href="/menu">メニューへ</a></p>`,
    })
  }
  return next()
}

/** The mandate's 委任者情報, 受任者情報 and 代理権情報, read-only. */
export const mandateFacts = (
  m: Mandate & { providerName: string },
) => html`<section><h2>委任者情報</h2>${readOnlyRows([
  ['法人番号', m.delegator.corporateNumber],
  ['商号又は名称', m.delegator.businessName],
  ['代表者氏名', m.delegator.representativeName],
])}</section>
<section><h2>受任者情報</h2>${readOnlyRows([['氏名', m.delegate.name]])}</section>
<section><h2>代理権情報</h2>${readOnlyRows([
  ['代理権', m.authorities.join('、') || 'なし'],
  ['有効期間', `${formatDateJa(m.validFrom)}〜${formatDateJa(m.validTo)}`],
  ['電子委任状取扱事業者', m.providerName],
  ['受付番号', m.referenceNumber],
])}</section>`
