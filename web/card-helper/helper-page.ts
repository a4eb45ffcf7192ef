/**
 * The card helper window's script. It talks to its opener only, at the origin the helper's page
 * was opened for (data-origin), and listens to nothing else: a message from any other window or
 * origin is dropped, so no other site can hand it a challenge or receive a token.
 * - On the read form: says it is ready, takes the challenge from the opener, and lets the user read.
 * - On the answer page (data-answer): posts the token to the opener and closes.
 */
import { HELPER_MESSAGES } from '../../core/lib/helper-token.ts'

const main = document.querySelector('main')
const origin = main?.dataset.origin ? decodeURI(main.dataset.origin) : undefined
const answer = main?.dataset.answer
const status = document.getElementById('status')
const form = document.getElementById('read-form') as HTMLFormElement | null
const say = (text: string) => {
  if (status) status.textContent = text
}

if (origin && !window.opener) {
  say('この画面は、調達ポータルの画面の［カードヘルパーで読込］から開いてください。')
  form?.querySelector<HTMLButtonElement>('#read-button')?.setAttribute('disabled', '')
} else if (origin && answer) {
  const token = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(answer), (c) => c.charCodeAt(0))))
  window.opener.postMessage({ action: HELPER_MESSAGES.answer, token }, origin)
  window.close()
} else if (origin && form) {
  const nonce = form.elements.namedItem('nonce') as HTMLInputElement
  const readButton = form.querySelector<HTMLButtonElement>('#read-button')
  window.addEventListener('message', (event) => {
    if (event.source !== window.opener || event.origin !== origin) return
    const data = event.data as { action?: string; nonce?: unknown }
    if (data?.action !== HELPER_MESSAGES.read || typeof data.nonce !== 'string') return
    nonce.value = data.nonce
    readButton?.removeAttribute('disabled')
    say('カードを選び、PINを入力して［読込］を押してください。')
    document.getElementById('pin')?.focus()
  })
  form.querySelector('#cancel-button')?.addEventListener('click', () => {
    window.opener.postMessage({ action: HELPER_MESSAGES.cancelled }, origin)
    window.close()
  })
  // A read refused (a wrong PIN) keeps its challenge: the user tries again without a new one.
  if (nonce.value === '') window.opener.postMessage({ action: HELPER_MESSAGES.ready }, origin)
}
