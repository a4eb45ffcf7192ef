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
 * - The card helper (form data-card-helper, shown only here): the page opens the helper's own
 *   window (`npm run card-helper`, on the user's computer, at the address of the meta element
 *   card-helper) and sends it a fresh challenge; the user picks the card and types the PIN there,
 *   and the helper answers with a token signed over the challenge and the portal's origin. The
 *   PIN never reaches the page. The page sends the token, or, when there is none, only why.
 */
import { toBase64 } from '../../core/lib/base64.ts'
import { HELPER_MESSAGES, helperSignedData } from '../../core/lib/helper-token.ts'
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

/** How long the helper's window has to say it is there, and the user to finish (pick a card, type a PIN). */
const HELPER_READY_MS = 10_000
const HELPER_ANSWER_MS = 300_000

type Signed = { certificate: string; algorithm: string; signature: string }
type HelperAnswer =
  | { outcome: 'answer'; token: Signed & { userAuthentication?: Signed } }
  | { outcome: 'unavailable' | 'blocked' | 'cancelled' | 'timeout' | 'failed' }

/** Which read the helper makes for this form: F2's kind choice turns a signing read into a My Number renewal. */
const helperUseOf = (form: HTMLFormElement): string => {
  const kind = form.querySelector<HTMLInputElement>('input[name="kind"]:checked')?.value
  return kind === 'my-number' ? 'my-number-renewal' : (form.dataset.cardUse ?? 'authentication')
}

/**
 * Opens the card helper's window, at once (a window may open only in the click's own task), and
 * asks it for a token over the challenge that `nonce` gives: the window says it is ready, the page
 * sends the challenge, the window answers. Every message goes to the other's origin only, and
 * only the helper's window, at the helper's origin, is listened to.
 */
const askHelper = (helperUrl: URL, use: string, nonce: Promise<string>): Promise<HelperAnswer> => {
  const address = new URL('/read', helperUrl)
  address.searchParams.set('origin', location.origin)
  address.searchParams.set('use', use)
  const helper = window.open(address, 'card-helper', 'popup,width=560,height=720')
  if (!helper) return Promise.resolve({ outcome: 'blocked' })
  return new Promise((resolve) => {
    const finish = (answer: HelperAnswer) => {
      clearTimeout(readyTimer)
      clearTimeout(answerTimer)
      clearInterval(closedPoll)
      window.removeEventListener('message', listen)
      if (answer.outcome !== 'answer' && answer.outcome !== 'cancelled') helper.close()
      resolve(answer)
    }
    const listen = (event: MessageEvent) => {
      if (event.source !== helper || event.origin !== helperUrl.origin) return
      const data = event.data as { action?: string; token?: Signed & { userAuthentication?: Signed } }
      if (data?.action === HELPER_MESSAGES.ready) {
        clearTimeout(readyTimer)
        nonce.then(
          (challenge) =>
            helper.postMessage({ action: HELPER_MESSAGES.read, nonce: challenge }, helperUrl.origin),
          // No challenge from the portal: the read cannot be made.
          () => finish({ outcome: 'failed' }),
        )
      }
      if (data?.action === HELPER_MESSAGES.answer && data.token)
        finish({ outcome: 'answer', token: data.token })
      if (data?.action === HELPER_MESSAGES.cancelled) finish({ outcome: 'cancelled' })
    }
    // Not there (the helper is not running: the window shows the browser's own error), or gone.
    const readyTimer = setTimeout(() => finish({ outcome: 'unavailable' }), HELPER_READY_MS)
    const answerTimer = setTimeout(() => finish({ outcome: 'timeout' }), HELPER_ANSWER_MS)
    const closedPoll = setInterval(() => {
      if (helper.closed) finish({ outcome: 'cancelled' })
    }, 500)
    window.addEventListener('message', listen)
  })
}

/** Adds the helper's token to the form, or the reason there is none. */
const prepareHelper = async (form: HTMLFormElement): Promise<void> => {
  const helperUrl = document.querySelector<HTMLMetaElement>('meta[name="card-helper"]')?.content ?? ''
  // The window opens before anything is awaited; the challenge is fetched while it loads.
  const nonce = freshChallenge()
  const answer = await askHelper(new URL(helperUrl), helperUseOf(form), nonce)
  if (answer.outcome === 'answer') {
    const { token } = answer
    setHidden(form, 'tokenCertificate', token.certificate)
    setHidden(form, 'tokenAlgorithm', token.algorithm)
    setHidden(form, 'tokenSignature', token.signature)
    if (token.userAuthentication) {
      setHidden(form, 'tokenAuthCertificate', token.userAuthentication.certificate)
      setHidden(form, 'tokenAuthAlgorithm', token.userAuthentication.algorithm)
      setHidden(form, 'tokenAuthSignature', token.userAuthentication.signature)
    }
    return
  }
  setHidden(form, 'helperError', answer.outcome)
}

// The helper forms are of use with JavaScript only, and what says so without it is not needed here.
const showHelperForms = () => {
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-card-helper]')) form.hidden = false
  for (const notice of document.querySelectorAll<HTMLElement>('[data-card-helper-needs-script]'))
    notice.hidden = true
}
showHelperForms()
document.addEventListener('htmx:after:swap', showHelperForms)

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

// Says that the card-read forms are now the page's to prepare (a test waits for it after a reload).
document.documentElement.dataset.cardRead = 'ready'
