/**
 * The page's part of a card read, on every card-read screen. Without JavaScript none of it runs
 * and the forms go to the server as they are.
 *
 * - A certificate file (form data-certificate-file): the page opens the .p12 with WebCrypto (the
 *   same reader the server uses without JavaScript), signs a fresh challenge together with the
 *   portal's origin, and sends only the certificate and the signature; when the file cannot be
 *   opened, only the reason. The file and its password never leave the page, but for an old
 *   file whose cipher WebCrypto lacks (3DES, RC2): that one goes to the server, as it does
 *   without JavaScript. Should anything here fail, the form goes to the server as it is.
 * - A local card helper (form data-card-helper, shown only here): the page asks the helper, in
 *   the message protocol of the Web eID browser extension, to read the IC card and sign a fresh
 *   challenge with the portal's origin; the PIN goes to the helper only. The page sends the
 *   helper's token, or, when the helper is missing or the read fails, only why.
 */
import { toBase64 } from '../../core/lib/base64.ts'
import { helperSignedData } from '../../core/lib/helper-token.ts'
import { openPkcs12 } from '../../core/lib/pkcs12.ts'

/** Forms already prepared, whose next submit goes out as it is. */
const prepared = new WeakSet<HTMLFormElement>()

const setHidden = (form: HTMLFormElement, name: string, value: string) => {
  const input = document.createElement('input')
  input.type = 'hidden'
  input.name = name
  input.value = value
  form.append(input)
}

const inputOf = (form: HTMLFormElement, name: string) => {
  const input = form.elements.namedItem(name)
  return input instanceof HTMLInputElement ? input : undefined
}

const freshChallenge = async (): Promise<string> => {
  const response = await fetch('/card-read/challenge', { headers: { accept: 'application/json' } })
  if (!response.ok) throw new Error(`challenge: ${response.status}`)
  return ((await response.json()) as { nonce: string }).nonce
}

/** Replaces the file and the password by the token, or by the reason the file did not open. */
const prepareFile = async (form: HTMLFormElement): Promise<void> => {
  const fileInput = inputOf(form, 'p12')
  const passwordInput = inputOf(form, 'password')
  const file = fileInput?.files?.[0]
  // Nothing chosen: the server says so, next to the field.
  if (!fileInput || !passwordInput || !file) return
  if (passwordInput.value === '') {
    setHidden(form, 'fileError', 'no-password')
    fileInput.disabled = true
    passwordInput.disabled = true
    return
  }
  const opened = await openPkcs12(new Uint8Array(await file.arrayBuffer()), passwordInput.value)
  // An old file's cipher (3DES, RC2) is not in WebCrypto: the server opens it, as without JavaScript.
  if (!opened.ok && opened.error.kind === 'legacy-algorithm') return
  if (opened.ok) {
    const nonce = await freshChallenge()
    const { certificate, privateKey } = opened.value
    const ecdsa = privateKey.algorithm.name === 'ECDSA'
    const algorithm = ecdsa ? 'ES256' : 'RS256'
    const data = await helperSignedData(algorithm, location.origin, nonce)
    const signature = await crypto.subtle.sign(
      ecdsa ? { name: 'ECDSA', hash: 'SHA-256' } : { name: privateKey.algorithm.name },
      privateKey,
      data,
    )
    setHidden(form, 'tokenCertificate', toBase64(certificate))
    setHidden(form, 'tokenAlgorithm', algorithm)
    setHidden(form, 'tokenSignature', toBase64(new Uint8Array(signature)))
  } else {
    setHidden(form, 'fileError', opened.error.kind)
    if (opened.error.kind === 'unsupported-algorithm')
      setHidden(form, 'fileErrorDetail', opened.error.algorithm)
  }
  // Disabled fields are not sent.
  fileInput.disabled = true
  passwordInput.disabled = true
}

/** How long the helper has to acknowledge (it is installed) and to answer (the user enters a PIN). */
const HELPER_ACK_MS = 2_000
const HELPER_ANSWER_MS = 120_000

type HelperAnswer = {
  action: string
  unverifiedCertificate?: string
  algorithm?: string
  signature?: string
  error?: { code?: string }
}

/** Asks the card helper (Web eID's window-message protocol) to authenticate with `nonce`. */
const askHelper = (nonce: string): Promise<HelperAnswer> =>
  new Promise((resolve) => {
    const finish = (answer: HelperAnswer) => {
      clearTimeout(ackTimer)
      clearTimeout(answerTimer)
      window.removeEventListener('message', listen)
      resolve(answer)
    }
    const listen = (event: MessageEvent) => {
      if (event.source !== window || event.origin !== location.origin) return
      const data = event.data as HelperAnswer | undefined
      if (data?.action === 'web-eid:authenticate-ack') clearTimeout(ackTimer)
      if (data?.action === 'web-eid:authenticate-success' || data?.action === 'web-eid:authenticate-failure')
        finish(data)
    }
    const ackTimer = setTimeout(() => finish({ action: 'unavailable' }), HELPER_ACK_MS)
    const answerTimer = setTimeout(() => finish({ action: 'timeout' }), HELPER_ANSWER_MS)
    window.addEventListener('message', listen)
    window.postMessage(
      {
        action: 'web-eid:authenticate',
        challengeNonce: nonce,
        libraryVersion: '2.0.0',
        options: { lang: 'ja' },
      },
      location.origin,
    )
  })

/** Adds the helper's token to the form, or the reason there is none. */
const prepareHelper = async (form: HTMLFormElement): Promise<void> => {
  const answer = await askHelper(await freshChallenge())
  if (answer.action === 'web-eid:authenticate-success') {
    setHidden(form, 'tokenCertificate', answer.unverifiedCertificate ?? '')
    setHidden(form, 'tokenAlgorithm', answer.algorithm ?? '')
    setHidden(form, 'tokenSignature', answer.signature ?? '')
    return
  }
  const code = answer.error?.code ?? ''
  setHidden(
    form,
    'helperError',
    answer.action === 'web-eid:authenticate-failure'
      ? code === 'ERR_WEBEID_USER_CANCELLED'
        ? 'cancelled'
        : code === 'ERR_WEBEID_USER_TIMEOUT'
          ? 'timeout'
          : 'failed'
      : answer.action,
  )
  setHidden(form, 'helperErrorDetail', code)
}

// The helper forms are of use with JavaScript only.
for (const form of document.querySelectorAll<HTMLFormElement>('form[data-card-helper]')) form.hidden = false
document.addEventListener('htmx:after:swap', () => {
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-card-helper]')) form.hidden = false
})

/** Back to a page the browser kept: its forms start again as they were served. */
window.addEventListener('pageshow', (event) => {
  if (!event.persisted) return
  for (const form of document.querySelectorAll<HTMLFormElement>(
    'form[data-certificate-file], form[data-card-helper]',
  ))
    reset(form)
})

/** Takes back what prepare added, so that the form goes out as it was served. */
const reset = (form: HTMLFormElement) => {
  prepared.delete(form)
  for (const name of ['p12', 'password']) {
    const input = inputOf(form, name)
    if (input) input.disabled = false
  }
  for (const hidden of form.querySelectorAll(
    'input[name^="token"], input[name^="fileError"], input[name^="helperError"]',
  ))
    hidden.remove()
  for (const button of form.querySelectorAll('button')) button.disabled = false
}

document.addEventListener(
  'submit',
  (event) => {
    const form = event.target
    if (!(form instanceof HTMLFormElement) || prepared.has(form)) return
    const prepare = form.hasAttribute('data-certificate-file')
      ? prepareFile
      : form.hasAttribute('data-card-helper')
        ? prepareHelper
        : undefined
    if (!prepare) return
    event.preventDefault()
    event.stopImmediatePropagation()
    const button = event.submitter instanceof HTMLButtonElement ? event.submitter : undefined
    if (button) button.disabled = true
    // Sent in a task of its own: a form ignores requestSubmit() while its submit event is still
    // being dispatched, which is when a prepare that had nothing to wait for would finish.
    const send = () =>
      setTimeout(() => {
        prepared.add(form)
        if (button) button.disabled = false
        form.requestSubmit(button)
      })
    prepare(form).then(send, (error: unknown) => {
      reset(form)
      if (prepare === prepareHelper) {
        // No token from the helper: say so, rather than send an empty form.
        console.warn('the card helper could not be asked:', error)
        setHidden(form, 'helperError', 'failed')
      } else {
        // The page could not open the file: the server opens it instead, as without JavaScript.
        console.warn('the certificate file goes to the server instead:', error)
      }
      send()
    })
  },
  true,
)
