/**
 * The step indicator of a multi-screen flow: an ordered list of the flow's steps with the current
 * one marked `aria-current="step"`, the same with or without JavaScript and in the simplified view.
 * A flow names its steps and which of its screens (by title) each step is; a screen of none (an
 * error page) shows no indicator.
 */
import { html } from 'hono/html'

export type Steps = { labels: readonly string[]; current: number }

/** A flow's steps, in order: each a label and the titles of the screens that are that step. */
export const flowSteps =
  (steps: readonly (readonly [label: string, titles: readonly string[]])[]) =>
  (title: string): Steps | undefined => {
    const current = steps.findIndex(([, titles]) => titles.includes(title))
    return current < 0 ? undefined : { labels: steps.map(([label]) => label), current }
  }

export const stepIndicator = (steps: Steps) =>
  html`<ol class="steps" aria-label="手続きの流れ">${steps.labels.map(
    (label, i) =>
      html`<li${i === steps.current ? html` aria-current="step"` : ''}${i < steps.current ? html` class="done"` : ''}>${label}</li>`,
  )}</ol>`
