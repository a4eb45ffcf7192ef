/** Certificates as people read them: by name, not by distinguished name. */
import type { Certificate } from '../core/domain/account.ts'
import { formatDateJa } from '../core/lib/format.ts'
import { html } from './render.ts'

/** One attribute of a distinguished name, such as the holder's CN, for display. */
export const nameIn = (dn: string, attribute: 'CN' | 'O'): string =>
  new RegExp(`(?:^|,\\s*)${attribute}=((?:\\\\.|[^,])+)`).exec(dn)?.[1]?.trim() ?? ''

/** One certificate's facts, under a heading. */
export const certificateFacts = (heading: string, c: Omit<Certificate, 'id' | 'userId'>) =>
  html`<section>
  <h2>${heading}</h2>
  <dl class="read-only">
    <dt>名義人</dt><dd>${nameIn(c.subject, 'CN') || c.subject}</dd>
    <dt>事業者</dt><dd>${nameIn(c.subject, 'O') || '—'}</dd>
    <dt>発行者</dt><dd>${nameIn(c.issuer, 'CN') || c.issuer}</dd>
    <dt>有効期間</dt><dd>${formatDateJa(c.notBefore)}〜${formatDateJa(c.notAfter)}</dd>
    <dt>シリアル番号</dt><dd class="serial">${c.serialNumber}</dd>
  </dl>
</section>`

/**
 * The certificates, each named by holder and issuer. On the input screen, `removable` adds a
 * [削除] to each, and `staged` marks those to be added.
 */
export const certificateTable = (
  certificates: Omit<Certificate, 'userId'>[],
  options: { caption?: string; staged?: Set<string>; removable?: boolean } = {},
) =>
  html`<table class="certificates">
  <caption>${options.caption ?? '登録されている電子証明書'}</caption>
  <thead><tr><th scope="col">名義人</th><th scope="col">発行者</th><th scope="col">有効期間</th><th scope="col">シリアル番号</th>${
    options.removable ? html`<th scope="col"><span class="visually-hidden">操作</span></th>` : ''
  }</tr></thead>
  <tbody>${certificates.map((c) => {
    const organisation = nameIn(c.subject, 'O')
    const added = options.staged?.has(c.id)
    return html`<tr><td>${nameIn(c.subject, 'CN') || c.subject}${organisation ? html`<br>${organisation}` : ''}${
      added ? html` <span class="staged">（追加予定）</span>` : ''
    }</td><td>${nameIn(c.issuer, 'CN') || c.issuer}</td><td>${formatDateJa(c.notBefore)}〜${formatDateJa(c.notAfter)}</td><td class="serial">${c.serialNumber}</td>${
      options.removable
        ? html`<td><button type="submit" class="button-small" name="action" value="remove-certificate:${c.id}" aria-label="シリアル番号 ${c.serialNumber} の電子証明書を削除">削除</button></td>`
        : ''
    }</tr>`
  })}</tbody>
</table>`
