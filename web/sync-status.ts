/** Where a change stands with GEPS, as every screen that shows a change shows it. */

import type { Context } from 'hono'
import { CHANGE_KIND_LABELS } from '../core/domain/mails.ts'
import { formatDateTimeJa } from '../core/lib/format.ts'
import type { SyncState, UserChange } from '../core/ports.ts'
import { html } from './render.ts'

export const SYNC_LABELS: Record<SyncState, string> = {
  waiting: '待機中',
  retrying: '再試行中',
  done: '連携完了',
  failed: '連携失敗',
  superseded: '不要（利用者削除）',
}

const isFinal = (change: UserChange) => change.sync.state !== 'waiting' && change.sync.state !== 'retrying'

/**
 * The user's latest changes and where each stands with GEPS, for the menu. With JavaScript the
 * list refreshes itself from `poll` while one of them is still on its way; without it, a link
 * reloads the menu.
 */
export const recentChanges = (changes: UserChange[], poll: string) => {
  const moving = changes.some((c) => !isFinal(c))
  return html`<section class="recent-changes" id="recent-changes" aria-live="polite"${
    moving ? html` hx-get="${poll}" hx-trigger="every 2s" hx-target="this" hx-swap="outerHTML"` : ''
  }>
  <h2>手続きの状況</h2>
  ${
    changes.length === 0
      ? html`<p>まだ手続きはありません。</p>`
      : html`<table>
  <caption>最近の手続きと、政府電子調達システム(GEPS)への連携状況</caption>
  <thead><tr><th scope="col">受付日時</th><th scope="col">手続き</th><th scope="col">GEPS連携</th><th scope="col">最終更新</th></tr></thead>
  <tbody>${changes.map(
    (c) =>
      html`<tr><td>${formatDateTimeJa(c.createdAt)}</td><td>${CHANGE_KIND_LABELS[c.kind]}</td><td class="sync-state sync-${c.sync.state}">${SYNC_LABELS[c.sync.state]}${
        c.sync.receipt ? html`<br><span class="hint">GEPS受付番号 ${c.sync.receipt}</span>` : ''
      }</td><td>${formatDateTimeJa(c.sync.updatedAt)}</td></tr>`,
  )}</tbody>
</table>
  ${
    changes.some((c) => c.sync.state === 'retrying')
      ? html`<p>GEPSが一時的に応答していないため、自動で再送しています。手続きの内容は失われません。</p>`
      : ''
  }
  ${
    changes.some((c) => c.sync.state === 'failed')
      ? html`<p>GEPSへの連携ができなかった手続きがあります。内容は調達ポータルに保存されています。ヘルプデスクにお問い合わせください。</p>`
      : ''
  }`
  }
  ${moving ? html`<p><a href="/menu">最新の状況を表示</a></p>` : ''}
</section>`
}

/**
 * The change's GEPS state; with JavaScript it refreshes itself from `urls.poll` until it is final,
 * and without it, a link reloads `urls.reload`.
 */
export const syncStatus = (change: UserChange, urls: { poll: string; reload: string }) => {
  const final = isFinal(change)
  const url = urls.poll
  return html`<section class="sync-status" id="sync-status" aria-live="polite"${
    final ? '' : html` hx-get="${url}" hx-trigger="every 2s" hx-target="this" hx-swap="outerHTML"`
  }>
  <h2>政府電子調達システム(GEPS)への連携状況</h2>
  <dl>
    <dt>状態</dt><dd class="sync-state sync-${change.sync.state}">${SYNC_LABELS[change.sync.state]}</dd>
    <dt>受付日時</dt><dd>${formatDateTimeJa(change.createdAt)}</dd>
    <dt>最終更新</dt><dd>${formatDateTimeJa(change.sync.updatedAt)}</dd>
    ${change.sync.receipt ? html`<dt>GEPS受付番号</dt><dd>${change.sync.receipt}</dd>` : ''}
  </dl>
  ${
    change.sync.state === 'retrying'
      ? html`<p>GEPSが一時的に応答していないため、自動で再送しています。変更は失われません。</p>`
      : change.sync.state === 'failed'
        ? html`<p>GEPSへの連携ができませんでした。変更は調達ポータルに保存されています。ヘルプデスクにお問い合わせください（受付番号 ${change.receiptNumber}）。</p>`
        : ''
  }
  ${final ? '' : html`<p><a href="${urls.reload}">最新の状況を表示</a></p>`}
</section>`
}

/**
 * What a completion screen's poll gets: with htmx, the change's GEPS state as a fragment that
 * polls the same path again until final; without it, the completion screen itself (`reload`).
 */
export const syncStatusAnswer = (c: Context, change: UserChange | undefined, reload: string) => {
  c.header('Cache-Control', 'no-store')
  c.header('Vary', 'HX-Request, Cookie')
  if (!change) return c.html(html`<p>この更新は見つかりませんでした。</p>`, 404)
  if (c.req.header('hx-request') !== 'true') return c.redirect(reload, 303)
  return c.html(syncStatus(change, { poll: c.req.path, reload }))
}
