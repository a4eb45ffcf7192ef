/** Where a change stands with GEPS, as every screen that shows a change shows it. */

import type { Context } from 'hono'
import { formatDateTimeJa } from '../core/format.ts'
import type { SyncState, UserChange } from '../core/ports.ts'
import { html } from './render.ts'

export const SYNC_LABELS: Record<SyncState, string> = {
  waiting: '待機中',
  retrying: '再試行中',
  done: '連携完了',
  failed: '連携失敗',
}

/**
 * The change's GEPS state; with JavaScript it refreshes itself from `urls.poll` until it is final,
 * and without it, a link reloads `urls.reload`.
 */
export const syncStatus = (change: UserChange, urls: { poll: string; reload: string }) => {
  const final = change.sync.state === 'done' || change.sync.state === 'failed'
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
        ? html`<p>GEPSへの連携ができませんでした。変更は調達ポータルに保存されています。ヘルプデスクにお問い合わせください（受付番号 ${change.id}）。</p>`
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
