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
