/**
 * The card helper's reach into real cards: PKCS#11 modules, through graphene-pk11 (on pkcs11js,
 * a maintained N-API binding that node-gyp builds against the machine's Node.js headers; it is an
 * optional dependency, so that `npm install` goes on where no compiler is). Each module is the one
 * its card needs: OpenSC's for the My Number card (its JPKI emulation presents the card as two
 * tokens, one per PIN, labelled "JPKI (User Authentication PIN)" and "JPKI (Digital Signature
 * PIN)", with the keys and certificates under CKA_ID 01 and 02; the signing certificate is private,
 * readable only after the signing PIN), and the vendor's for a private-CA IC card.
 *
 * The PIN goes to C_Login and nowhere else; the session ends with the call. What is left of the
 * PIN's tries comes from the token's flags, which the card itself keeps.
 */
import type * as Graphene from 'graphene-pk11'
import { err, ok } from '../../core/lib/result.ts'
import type { CardToken, CardTokenError, CardTokenKind, CardTokens, PinStatus } from '../../core/ports.ts'

/** One PKCS#11 module, and optionally the one token label of it to use (a vendor's module may show more). */
export type Pkcs11Module = { path: string; tokenLabel?: string }

// CK flags of a token's PIN (PKCS#11 2.40, CK_TOKEN_INFO.flags).
const CKF_USER_PIN_COUNT_LOW = 0x0001_0000
const CKF_USER_PIN_FINAL_TRY = 0x0002_0000
const CKF_USER_PIN_LOCKED = 0x0004_0000
const CKF_TOKEN_INITIALIZED = 0x0000_0400

export const pinStatusOf = (flags: number): PinStatus =>
  flags & CKF_USER_PIN_LOCKED
    ? 'locked'
    : flags & CKF_USER_PIN_FINAL_TRY
      ? 'final-try'
      : flags & CKF_USER_PIN_COUNT_LOW
        ? 'count-low'
        : 'fresh'

/** A token's kind by its label: OpenSC's names for a My Number card's two PINs, else an IC card. */
export const tokenKindOf = (label: string): CardTokenKind =>
  /^JPKI \(User Authentication PIN\)/.test(label)
    ? 'my-number-user-authentication'
    : /^JPKI \(Digital Signature PIN\)/.test(label)
      ? 'my-number-signing'
      : 'ic-card'

/** The CKA_ID of the key (and certificate) a kind signs with; any for an IC card. */
const KEY_IDS: Record<CardTokenKind, string | undefined> = {
  'my-number-user-authentication': '01',
  'my-number-signing': '02',
  'ic-card': undefined,
}

/** DigestInfo's prefix for SHA-256 (RFC 8017, 9.2): an RSA card signs prefix ‖ hash with CKM_RSA_PKCS. */
const SHA256_DIGEST_INFO = Uint8Array.from([
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
  0x20,
])

const codeOf = (e: unknown): string =>
  e instanceof Error ? (/CKR_[A-Z_]+/.exec(e.message)?.[0] ?? e.message) : String(e)

/** Loads graphene-pk11, or says plainly why it cannot. */
const loadGraphene = async (): Promise<typeof Graphene> => {
  try {
    return (await import('graphene-pk11')) as typeof Graphene
  } catch (e) {
    throw new Error(
      `graphene-pk11 (the PKCS#11 binding) is not installed or did not build: ${codeOf(e)}. Run npm install on a machine with a C++ compiler and Python (node-gyp).`,
    )
  }
}

/** The card helper's CardTokens over the modules given, each loaded once for the helper's life. */
export const pkcs11CardTokens = async (modules: Pkcs11Module[]): Promise<CardTokens & { close(): void }> => {
  const graphene = await loadGraphene()
  const loaded = modules.map((m, i) => {
    const module = graphene.Module.load(m.path, `module-${i}`)
    module.initialize()
    return { module, tokenLabel: m.tokenLabel }
  })

  /** Every token present, with its slot, named `<module>:<slot handle>`. */
  const slots = () =>
    loaded.flatMap(({ module, tokenLabel }, i) => {
      const found: { tokenId: string; slot: Graphene.Slot; token: Graphene.Token }[] = []
      const list = module.getSlots(true)
      for (let s = 0; s < list.length; s++) {
        const slot = list.items(s)
        const token = slot.getToken()
        // An uninitialised token (SoftHSM2's free slot, a blank card) holds nothing to read.
        if (!(token.flags & CKF_TOKEN_INITIALIZED)) continue
        if (tokenLabel && token.label.trim() !== tokenLabel) continue
        found.push({ tokenId: `${i}:${slot.handle.toString('hex')}`, slot, token })
      }
      return found
    })

  /** The certificate (and, logged in, the key) of a token's kind, by its CKA_ID. */
  const certificateIn = (
    session: Graphene.Session,
    kind: CardTokenKind,
  ): Graphene.X509Certificate | undefined => {
    const wanted = KEY_IDS[kind]
    const found = session.find({ class: graphene.ObjectClass.CERTIFICATE })
    for (let i = 0; i < found.length; i++) {
      const certificate = found.items(i).toType<Graphene.X509Certificate>()
      const id = certificate.id.toString('hex')
      if (wanted === undefined ? id !== '' : id === wanted) return certificate
    }
    return undefined
  }

  const list = async (): Promise<CardToken[]> =>
    slots().map(({ tokenId, slot, token }) => {
      const kind = tokenKindOf(token.label)
      let certificate: Uint8Array | undefined
      const session = slot.open(graphene.SessionFlag.SERIAL_SESSION)
      try {
        const public_ = certificateIn(session, kind)
        if (public_) certificate = new Uint8Array(public_.value)
      } finally {
        session.close()
      }
      return {
        tokenId,
        label: token.label.trim(),
        kind,
        serialNumber: token.serialNumber.trim(),
        pinStatus: pinStatusOf(token.flags),
        pinLength: { min: token.minPinLen, max: token.maxPinLen },
        ...(certificate && { certificate }),
      }
    })

  const sign: CardTokens['sign'] = async ({ tokenId, pin, data }) => {
    const found = slots().find((s) => s.tokenId === tokenId)
    if (!found) return err({ kind: 'no-token' })
    const kind = tokenKindOf(found.token.label)
    let session: Graphene.Session | undefined
    try {
      session = found.slot.open(graphene.SessionFlag.SERIAL_SESSION)
      try {
        session.login(pin, graphene.UserType.USER)
      } catch (e) {
        const code = codeOf(e)
        const status = pinStatusOf(found.slot.getToken().flags)
        if (code === 'CKR_PIN_LOCKED' || status === 'locked') return err({ kind: 'locked' })
        if (code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_INVALID' || code === 'CKR_PIN_LEN_RANGE')
          return err({ kind: 'wrong-pin', pinStatus: status })
        return err({ kind: 'token-failed', message: code })
      }
      const certificate = certificateIn(session, kind)
      if (!certificate) return err({ kind: 'no-key' })
      const keys = session.find({ class: graphene.ObjectClass.PRIVATE_KEY, id: certificate.id })
      if (keys.length === 0) return err({ kind: 'no-key' })
      const key = keys.items(0).toType<Graphene.PrivateKey>()
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(data)))
      const ec = key.type === graphene.KeyType.EC
      const toSign = ec ? digest : Uint8Array.from([...SHA256_DIGEST_INFO, ...digest])
      const signature = session.createSign(ec ? 'ECDSA' : 'RSA_PKCS', key).once(Buffer.from(toSign))
      return ok({
        certificate: new Uint8Array(certificate.value),
        algorithm: ec ? 'ES256' : 'RS256',
        signature: new Uint8Array(signature),
      })
    } catch (e) {
      return err({ kind: 'token-failed', message: codeOf(e) } satisfies CardTokenError)
    } finally {
      try {
        session?.logout()
      } catch {}
      session?.close()
    }
  }

  return {
    list,
    sign,
    close: () => {
      for (const { module } of loaded) module.finalize()
    },
  }
}
