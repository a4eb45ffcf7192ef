/**
 * Opens a certificate file in the page. On the submit of a form marked data-certificate-file, the
 * page opens the .p12 with WebCrypto (the same reader the server uses without JavaScript), signs
 * a fresh challenge together with the portal's origin, and sends only the certificate and the
 * signature; when the file cannot be opened, only the reason. The file and its password never
 * leave the page. Should anything here fail, the form goes to the server as it is.
 */
import { toBase64 } from '../../core/base64.ts'
import { helperSignedData } from '../../core/helper-token.ts'
import { openPkcs12 } from '../../core/pkcs12.ts'

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

/** Replaces the file and the password by the token, or by the reason the file did not open. */
const prepare = async (form: HTMLFormElement): Promise<void> => {
  const fileInput = inputOf(form, 'p12')
  const passwordInput = inputOf(form, 'password')
  const file = fileInput?.files?.[0]
  // Nothing chosen: the server says so, next to the field.
  if (!fileInput || !passwordInput || !file) return
  const opened = await openPkcs12(new Uint8Array(await file.arrayBuffer()), passwordInput.value)
  if (opened.ok) {
    const response = await fetch('/card-read/challenge', { headers: { accept: 'application/json' } })
    if (!response.ok) throw new Error(`challenge: ${response.status}`)
    const { nonce } = (await response.json()) as { nonce: string }
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

document.addEventListener(
  'submit',
  (event) => {
    const form = event.target
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-certificate-file')) return
    if (prepared.has(form)) return
    event.preventDefault()
    event.stopImmediatePropagation()
    const button = event.submitter instanceof HTMLButtonElement ? event.submitter : undefined
    if (button) button.disabled = true
    const send = () => {
      prepared.add(form)
      if (button) button.disabled = false
      form.requestSubmit(button)
    }
    prepare(form).then(send, (error: unknown) => {
      console.warn('the certificate file goes to the server instead:', error)
      for (const name of ['p12', 'password']) {
        const input = inputOf(form, name)
        if (input) input.disabled = false
      }
      for (const hidden of form.querySelectorAll('input[name^="token"], input[name^="fileError"]'))
        hidden.remove()
      send()
    })
  },
  true,
)
