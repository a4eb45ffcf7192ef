/** Pieces every form uses: the CSRF field, labelled inputs with their errors, the error summary. */
import { zValidator } from '@hono/zod-validator'
import type { Context } from 'hono'
import { html, raw } from 'hono/html'
import { z } from 'zod'
import { type Html, type Page, render } from './render.ts'
import type { AppEnv } from './session.ts'

export type FieldErrors = Partial<Record<string, string>>

export const csrfField = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`

/** A summary of every refusal at the top of the form, each linking to its field. */
export const errorSummary = (errors: FieldErrors, labels: Record<string, string>, message?: string) => {
  const entries = Object.entries(errors).filter((e): e is [string, string] => typeof e[1] === 'string')
  if (entries.length === 0 && !message) return ''
  // autofocus: the focus lands here after a refused submit, on a page load (without JavaScript) and
  // after htmx swaps the refusal in (htmx focuses [autofocus] in what it swaps).
  return html`<div class="error-summary" id="error-summary" role="alert" tabindex="-1" autofocus>
  <h2>入力内容を確認してください</h2>
  ${message ? html`<p>${message}</p>` : ''}
  ${
    entries.length > 0
      ? html`<ul>${entries.map(([field, text]) => html`<li><a href="#field-${field}">${labels[field] ?? field}: ${text}</a></li>`)}</ul>`
      : ''
  }
</div>`
}

export const textField = (f: {
  name: string
  label: string
  /** Which field, where the label repeats another's (フリガナ of 商号又は名称); shown beside it. */
  qualifier?: string
  value: string
  error?: string
  required?: boolean
  type?: 'text' | 'email' | 'tel'
  autocomplete?: string
  hint?: string
}): Html => {
  const id = `field-${f.name}`
  const describedBy = [f.hint ? `${id}-hint` : '', f.error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return html`<div class="field${f.error ? ' field-invalid' : ''}">
  <label for="${id}">${f.label}${f.qualifier ? html`<span class="qualifier">（${f.qualifier}）</span>` : ''}</label>${f.required ? html` <span class="required" aria-hidden="true">必須</span>` : ''}
  ${f.hint ? html`<p class="hint" id="${id}-hint">${f.hint}</p>` : ''}
  ${f.error ? html`<p class="field-error" id="${id}-error">${f.error}</p>` : ''}
  <input id="${id}" name="${f.name}" type="${f.type ?? 'text'}" value="${f.value}"${f.required ? ' required' : ''}${
    f.autocomplete ? html` autocomplete="${f.autocomplete}"` : ''
  }${describedBy ? html` aria-describedby="${describedBy}"` : ''}${f.error ? raw(' aria-invalid="true"') : ''}>
</div>`
}

/** A read-only value shown as a definition, for fields the user cannot change here. */
export const readOnlyRows = (rows: [string, string][]) =>
  html`<dl class="read-only">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v || '—'}</dd>`)}</dl>`

/**
 * A form that posts to `action` with the session's CSRF token. Without JavaScript it is a plain
 * HTML form; htmx enhances it to replace the page's <main> with the answer. The browser's own
 * checks are off (novalidate): the server's messages, in Japanese and next to each field, are the rule.
 */
export const postForm = (action: string, csrfToken: string, body: Html) =>
  html`<form method="post" action="${action}" hx-post="${action}" hx-target="#main" hx-swap="outerHTML" novalidate>
  ${csrfField(csrfToken)}
  ${body}
</form>`

/**
 * A labelled input that never shows a value back: a file (a browser cannot refill one) or a
 * password (never sent back to the page).
 */
export const blankInputField = (f: {
  name: string
  label: string
  type: 'file' | 'password'
  error?: string
  /** For a file: the kinds of file to offer. */
  accept?: string
}): Html => {
  const id = `field-${f.name}`
  return html`<div class="field${f.error ? ' field-invalid' : ''}">
  <label for="${id}">${f.label}</label>
  ${f.error ? html`<p class="field-error" id="${id}-error">${f.error}</p>` : ''}
  <input type="${f.type}" id="${id}" name="${f.name}"${f.accept ? raw(` accept="${f.accept}"`) : ''}${
    f.type === 'password' ? raw(' autocomplete="off"') : ''
  }${f.error ? raw(` aria-invalid="true" aria-describedby="${id}-error"`) : ''}>
</div>`
}

/** A labelled choice of one option; `value` marks the chosen one. */
export const selectField = (f: {
  name: string
  label: string
  options: readonly { value: string; text: string }[]
  value: string
  error?: string
  required?: boolean
}): Html => {
  const id = `field-${f.name}`
  return html`<div class="field${f.error ? ' field-invalid' : ''}">
  <label for="${id}">${f.label}</label>${f.required ? html` <span class="required" aria-hidden="true">必須</span>` : ''}
  ${f.error ? html`<p class="field-error" id="${id}-error">${f.error}</p>` : ''}
  <select id="${id}" name="${f.name}"${f.error ? raw(` aria-invalid="true" aria-describedby="${id}-error"`) : ''}>
    <option value="">選択してください</option>
    ${f.options.map((o) => html`<option value="${o.value}"${o.value === f.value ? raw(' selected') : ''}>${o.text}</option>`)}
  </select>
</div>`
}

/** A group of checkboxes under one legend; `values` are the checked ones. */
export const checkboxGroup = (f: {
  name: string
  legend: string
  options: readonly string[]
  values: readonly string[]
  error?: string
  required?: boolean
}): Html => {
  const id = `field-${f.name}`
  return html`<fieldset class="field${f.error ? ' field-invalid' : ''}" id="${id}"${
    f.error ? raw(` aria-describedby="${id}-error"`) : ''
  }>
  <legend>${f.legend}${f.required ? html` <span class="required" aria-hidden="true">必須</span>` : ''}</legend>
  ${f.error ? html`<p class="field-error" id="${id}-error">${f.error}</p>` : ''}
  ${f.options.map(
    (o, i) =>
      html`<span class="choice"><input type="checkbox" id="${id}-${i}" name="${f.name}" value="${o}"${
        f.values.includes(o) ? raw(' checked') : ''
      }> <label for="${id}-${i}">${o}</label></span>`,
  )}
</fieldset>`
}

/** What a form body that cannot be read gets: 400, and nothing changed. */
export const UNREADABLE_FORM: Page = {
  title: '送信内容を読み取れませんでした',
  status: 400,
  body: html`<p>送信された内容の形式が正しくないため、読み取れませんでした。変更は行われていません。</p>
<p>画面を開き直して、もう一度送信してください。</p><p><a href="/">トップへ</a></p>`,
}

/**
 * A form's zod schema, applied before its route (`c.req.valid('form')` then gives the form typed).
 * The schemas read what a browser sends, catching what it may leave out; one a hand-made body
 * does not fit gets UNREADABLE_FORM, never a 500.
 */
export const validForm = <T extends z.ZodType>(schema: T) =>
  zValidator('form', schema, (result, c) => {
    // The hook gets the app's context, typed as any app's: it is this one's (AppEnv).
    if (!result.success) return render(c as Context<AppEnv>, UNREADABLE_FORM)
  })

/** The form of a screen that confirms a draft: the id of the draft it showed (stale, it commits nothing). */
export const DraftForm = z.object({ draftId: z.string().catch('') })
