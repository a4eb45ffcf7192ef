/** メニュー: where a signed-in user starts. */
import { Hono } from 'hono'
import type { AccountStore } from '../core/ports.ts'
import { html, render } from './render.ts'
import { type AppEnv, toSignIn } from './session.ts'

const ROLE_LABELS = { representative: '代表者', agent: '代理人' } as const

export const menuRoutes = (ports: { accounts: AccountStore }) => {
  const app = new Hono<AppEnv>()
  app.get('/', (c) => c.redirect(c.get('user') ? '/menu' : '/sign-in', 303))
  app.get('/menu', async (c) => {
    const user = c.get('user')
    if (!user) return toSignIn(c)
    const business = await ports.accounts.findBusiness(user.businessId)
    return render(c, {
      title: 'メニュー',
      body: html`<p>${business?.name ?? ''}　${user.name} 様（${ROLE_LABELS[user.role]}）</p>
<nav aria-label="手続き">
  <ul class="menu">
    <li><a href="/user/edit">利用者情報更新</a><p class="hint">${
      user.role === 'representative'
        ? '事業者情報、利用者情報、資格情報、電子証明書を更新します。'
        : '役職名、住所、電話番号、メールアドレス、電子証明書を更新します。'
    }</p></li>
    ${
      user.role === 'representative'
        ? html`<li><a href="/business/history">変更履歴</a><p class="hint">事業者の変更の記録と、政府電子調達システム(GEPS)への連携状況を確認します。</p></li>`
        : ''
    }
  </ul>
</nav>`,
    })
  })
  return app
}
