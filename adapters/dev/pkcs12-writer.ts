/**
 * Writes a PKCS#12 file as current tools do (PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC for the
 * key; HMAC-SHA256 MAC), for the demo data's file-type certificate and for tests. The portal
 * itself only reads such files (core/lib/pkcs12.ts). Encoded by asn1js, encrypted by WebCrypto.
 */
import * as asn1js from 'asn1js'
import { bmpPassword, pkcs12Kdf } from '../../core/lib/pkcs12.ts'

const sequence = (...value: asn1js.AsnType[]) => new asn1js.Sequence({ value })
const octetString = (bytes: Uint8Array) => new asn1js.OctetString({ valueHex: new Uint8Array(bytes) })
const explicit0 = (...value: asn1js.AsnType[]) =>
  new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value })
const integer = (value: number) => new asn1js.Integer({ value })
const oid = (value: string) => new asn1js.ObjectIdentifier({ value })
const nothing = () => new asn1js.Null()
const der = (node: asn1js.AsnType) => new Uint8Array(node.toBER())

const ITERATIONS = 2048

export const writePkcs12 = async (
  certificate: Uint8Array,
  pkcs8PrivateKey: Uint8Array,
  password: string,
): Promise<Uint8Array<ArrayBuffer>> => {
  const random = (n: number) => crypto.getRandomValues(new Uint8Array(n))
  const [salt, iv, macSalt] = [random(16), random(16), random(16)]
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, [
    'deriveKey',
  ])
  const aes = await crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt, iterations: ITERATIONS, hash: 'SHA-256' },
    base,
    { name: 'AES-CBC', length: 256 },
    false,
    ['encrypt'],
  )
  const encryptedKey = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, aes, new Uint8Array(pkcs8PrivateKey)),
  )
  const pbes2 = sequence(
    oid('1.2.840.113549.1.5.13'),
    sequence(
      sequence(
        oid('1.2.840.113549.1.5.12'),
        sequence(octetString(salt), integer(ITERATIONS), sequence(oid('1.2.840.113549.2.9'), nothing())),
      ),
      sequence(oid('2.16.840.1.101.3.4.1.42'), octetString(iv)),
    ),
  )
  const keyBag = sequence(
    oid('1.2.840.113549.1.12.10.1.2'),
    explicit0(sequence(pbes2, octetString(encryptedKey))),
  )
  const certBag = sequence(
    oid('1.2.840.113549.1.12.10.1.3'),
    explicit0(sequence(oid('1.2.840.113549.1.9.22.1'), explicit0(octetString(certificate)))),
  )
  const DATA = '1.2.840.113549.1.7.1'
  const authenticatedSafe = der(
    sequence(sequence(oid(DATA), explicit0(octetString(der(sequence(keyBag, certBag)))))),
  )
  const sha256 = { name: 'SHA-256', blockBytes: 64 }
  const macKey = await pkcs12Kdf(sha256, bmpPassword(password), macSalt, ITERATIONS, 3, 32)
  const hmac = await crypto.subtle.importKey('raw', macKey, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, authenticatedSafe))
  return der(
    sequence(
      integer(3),
      sequence(oid(DATA), explicit0(octetString(authenticatedSafe))),
      sequence(
        sequence(sequence(oid('2.16.840.1.101.3.4.2.1'), nothing()), octetString(mac)),
        octetString(macSalt),
        integer(ITERATIONS),
      ),
    ),
  )
}
