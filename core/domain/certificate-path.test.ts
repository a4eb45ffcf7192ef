/**
 * Path validation as a table over generated certificates: each row a certificate (and the trust
 * around it) made for one rule, with what the validator must answer. The rows that refuse are
 * those Web eID's token validator and Keycloak's X.509 authenticator refuse too.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type CertificationAuthority,
  createAuthority,
  daysFrom,
  type Issued,
  issueCertificate,
  revocationList,
} from '../../adapters/dev/test-pki.ts'
import { x509 } from '../lib/x509.ts'
import {
  type CertificateError,
  MAX_INTERMEDIATES,
  type TrustMaterial,
  validateCertificate,
} from './certificate-path.ts'

const NOW = new Date('2026-11-27T10:00:00Z')
const VALID = { notBefore: daysFrom(NOW, -10), notAfter: daysFrom(NOW, 300) }
const SUBJECT = 'CN=入札 花子, O=株式会社サンプル商事, C=JP'
const CRL_UNTIL = daysFrom(NOW, 30)
const { digitalSignature, nonRepudiation, keyCertSign } = x509.KeyUsageFlags

let anchor: CertificationAuthority
let jpki: CertificationAuthority
let intermediate: CertificationAuthority
let second: CertificationAuthority
/** Everything trusted: both anchors, the intermediates, and a current CRL of each authority. */
let trust: TrustMaterial
let crls: Record<string, Uint8Array>

const eku = (...purposes: string[]) => new x509.ExtendedKeyUsageExtension(purposes, false)
const critical = (oid: string) => new x509.Extension(oid, true, new Uint8Array([0x05, 0x00]))
const rsaKeys = (bits: number) =>
  crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: bits,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  ) as Promise<CryptoKeyPair>

beforeAll(async () => {
  anchor = await createAuthority('CN=テスト民間ルート認証局, C=JP', NOW, { pathLength: 2 })
  jpki = await createAuthority('CN=テスト公的個人認証局, C=JP', NOW)
  intermediate = await createAuthority('CN=テスト民間中間認証局, C=JP', NOW, {
    issuer: anchor,
    pathLength: 1,
  })
  second = await createAuthority('CN=テスト民間第二中間認証局, C=JP', NOW, { issuer: intermediate })
  crls = {
    anchor: await revocationList(anchor, [], NOW, CRL_UNTIL),
    jpki: await revocationList(jpki, [], NOW, CRL_UNTIL),
    intermediate: await revocationList(intermediate, [], NOW, CRL_UNTIL),
    second: await revocationList(second, [], NOW, CRL_UNTIL),
  }
  trust = {
    anchors: [
      { certificate: anchor.certificate, kind: 'private' },
      { certificate: jpki.certificate, kind: 'jpki' },
    ],
    intermediates: [intermediate.certificate, second.certificate],
    revocationLists: Object.values(crls),
  }
})

type Row = {
  name: string
  /** The certificate to validate, and the trust to validate it against (default: all of it). */
  make: () => Promise<{ leaf: Issued; trust?: TrustMaterial; allowExpired?: boolean }>
  /** The use it is accepted for, or the error it is refused with. */
  expected: { use: string } | Partial<CertificateError>
}

const leafOf =
  (authority: () => CertificationAuthority, options?: Parameters<typeof issueCertificate>[3]) =>
  async () => ({
    leaf: await issueCertificate(authority(), SUBJECT, VALID, options),
  })

const ROWS: Row[] = [
  // What is accepted.
  {
    name: 'a private card directly under its anchor',
    make: leafOf(() => anchor),
    expected: { use: 'private' },
  },
  {
    name: 'a card under an intermediate the portal knows',
    make: leafOf(() => intermediate),
    expected: { use: 'private' },
  },
  {
    name: 'a card two intermediates down, within every pathLenConstraint',
    make: leafOf(() => second),
    expected: { use: 'private' },
  },
  {
    name: 'a JPKI user-authentication certificate (no extended key usage, as JPKI issues them)',
    make: leafOf(() => jpki),
    expected: { use: 'my-number-user-authentication' },
  },
  {
    name: 'a JPKI signing certificate (nonRepudiation)',
    make: leafOf(() => jpki, { keyUsage: digitalSignature | nonRepudiation }),
    expected: { use: 'my-number-signing' },
  },
  {
    name: 'an extended key usage that allows client authentication',
    make: leafOf(() => anchor, { extensions: [eku('1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.4')] }),
    expected: { use: 'private' },
  },
  {
    name: 'anyExtendedKeyUsage',
    make: leafOf(() => anchor, { extensions: [eku('2.5.29.37.0')] }),
    expected: { use: 'private' },
  },
  {
    name: 'a JPKI signing certificate for e-mail protection (S/MIME)',
    make: leafOf(() => jpki, {
      keyUsage: digitalSignature | nonRepudiation,
      extensions: [eku('1.3.6.1.5.5.7.3.4')],
    }),
    expected: { use: 'my-number-signing' },
  },
  {
    name: 'an unknown extension that is not critical',
    make: leafOf(() => anchor, {
      extensions: [new x509.Extension('1.2.392.99999.1', false, new Uint8Array([5, 0]))],
    }),
    expected: { use: 'private' },
  },
  {
    name: 'an RSA-2048 key',
    make: async () => ({
      leaf: await issueCertificate(anchor, SUBJECT, VALID, { keys: await rsaKeys(2048) }),
    }),
    expected: { use: 'private' },
  },
  {
    name: 'an expired certificate when F2 allows it, on a CRL that keeps expired entries',
    make: async () => ({
      leaf: await issueCertificate(anchor, SUBJECT, {
        notBefore: daysFrom(NOW, -400),
        notAfter: daysFrom(NOW, -5),
      }),
      trust: {
        ...trust,
        revocationLists: [
          await revocationList(anchor, [], NOW, CRL_UNTIL, { keepsExpiredSince: daysFrom(NOW, -3650) }),
        ],
      },
      allowExpired: true,
    }),
    expected: { use: 'private' },
  },
  {
    name: 'expired twelve hours ago, on a CRL issued a day ago while it was valid',
    make: async () => ({
      leaf: await issueCertificate(anchor, SUBJECT, {
        notBefore: daysFrom(NOW, -400),
        notAfter: daysFrom(NOW, -0.5),
      }),
      allowExpired: true,
    }),
    expected: { use: 'private' },
  },

  // What is refused: the certificate itself.
  {
    name: 'an extended key usage without client authentication (server only)',
    make: leafOf(() => anchor, { extensions: [eku('1.3.6.1.5.5.7.3.1')] }),
    expected: { kind: 'wrong-key-usage', which: 'extended-key-usage' },
  },
  {
    name: 'a private certificate for e-mail protection only',
    make: leafOf(() => anchor, { extensions: [eku('1.3.6.1.5.5.7.3.4')] }),
    expected: { kind: 'wrong-key-usage', which: 'extended-key-usage' },
  },
  {
    name: 'no key usage for signing',
    make: leafOf(() => anchor, { keyUsage: x509.KeyUsageFlags.keyEncipherment }),
    expected: { kind: 'wrong-key-usage', which: 'key-usage' },
  },
  {
    name: 'an unknown critical extension',
    make: leafOf(() => anchor, { extensions: [critical('1.2.392.99999.1')] }),
    expected: { kind: 'unsupported-extension', oid: '1.2.392.99999.1' },
  },
  {
    name: 'critical name constraints, which the portal does not process',
    make: leafOf(() => anchor, { extensions: [critical('2.5.29.30')] }),
    expected: { kind: 'unsupported-extension', oid: '2.5.29.30' },
  },
  {
    name: 'a leaf that is itself a CA (basicConstraints cA)',
    make: leafOf(() => anchor, { extensions: [new x509.BasicConstraintsExtension(true, undefined, true)] }),
    expected: { kind: 'is-authority' },
  },
  {
    name: 'a leaf that may sign certificates (keyCertSign)',
    make: leafOf(() => anchor, { keyUsage: digitalSignature | keyCertSign }),
    expected: { kind: 'is-authority' },
  },
  {
    name: 'the anchor itself, presented as a card',
    make: async () => ({ leaf: { certificate: anchor.certificate, privateKey: anchor.privateKey } }),
    expected: { kind: 'is-authority' },
  },
  {
    name: 'an RSA-1024 key',
    make: async () => ({
      leaf: await issueCertificate(anchor, SUBJECT, VALID, { keys: await rsaKeys(1024) }),
    }),
    expected: { kind: 'weak-key', key: 'RSA 1024' },
  },
  {
    name: 'an Ed25519 key (not among the portal’s algorithms)',
    make: async () => ({
      leaf: await issueCertificate(anchor, SUBJECT, VALID, {
        keys: (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
          'sign',
          'verify',
        ])) as CryptoKeyPair,
      }),
    }),
    expected: { kind: 'weak-key', key: 'Ed25519' },
  },
  {
    name: 'an expired certificate, outside F2',
    make: async () => ({
      leaf: await issueCertificate(anchor, SUBJECT, {
        notBefore: daysFrom(NOW, -400),
        notAfter: daysFrom(NOW, -5),
      }),
    }),
    expected: { kind: 'expired' },
  },

  // What is refused: the path.
  {
    name: 'a chain to a trust anchor that expired ten days ago',
    make: async () => {
      const lapsed = await createAuthority('CN=期限切れルート認証局, C=JP', NOW, {
        validity: { notBefore: daysFrom(NOW, -3650), notAfter: daysFrom(NOW, -10) },
      })
      return {
        leaf: await issueCertificate(lapsed, SUBJECT, VALID),
        trust: {
          anchors: [{ certificate: lapsed.certificate, kind: 'private' }],
          revocationLists: [await revocationList(lapsed, [], NOW, CRL_UNTIL)],
        },
      }
    },
    expected: { kind: 'authority-expired', authority: 'CN=期限切れルート認証局, C=JP' },
  },
  {
    name: 'an intermediate that has expired, even in F2',
    make: async () => {
      const lapsed = await createAuthority('CN=期限切れ中間認証局, C=JP', NOW, {
        issuer: anchor,
        validity: { notBefore: daysFrom(NOW, -3650), notAfter: daysFrom(NOW, -1) },
      })
      return {
        leaf: await issueCertificate(lapsed, SUBJECT, VALID),
        trust: {
          ...trust,
          intermediates: [lapsed.certificate],
          revocationLists: [...trust.revocationLists, await revocationList(lapsed, [], NOW, CRL_UNTIL)],
        },
        allowExpired: true,
      }
    },
    expected: { kind: 'authority-expired', authority: 'CN=期限切れ中間認証局, C=JP' },
  },
  {
    name: 'an intermediate the portal does not know',
    make: async () => ({
      leaf: await issueCertificate(intermediate, SUBJECT, VALID),
      trust: { ...trust, intermediates: [] },
    }),
    expected: { kind: 'untrusted', issuer: 'CN=テスト民間中間認証局, C=JP' },
  },
  {
    name: 'an intermediate that is not a CA',
    make: async () => {
      const impostor = await createAuthority('CN=認証局でない中間, C=JP', NOW, {
        issuer: anchor,
        notCa: true,
      })
      return {
        leaf: await issueCertificate(impostor, SUBJECT, VALID),
        trust: {
          ...trust,
          intermediates: [impostor.certificate],
          revocationLists: [...trust.revocationLists, await revocationList(impostor, [], NOW, CRL_UNTIL)],
        },
      }
    },
    expected: { kind: 'untrusted', issuer: 'CN=認証局でない中間, C=JP' },
  },
  {
    name: 'more authorities below an intermediate than its pathLenConstraint allows',
    make: async () => {
      // `second` allows none below it; a third one under it breaks its constraint.
      const third = await createAuthority('CN=テスト民間第三中間認証局, C=JP', NOW, { issuer: second })
      return {
        leaf: await issueCertificate(third, SUBJECT, VALID),
        trust: {
          ...trust,
          intermediates: [...(trust.intermediates ?? []), third.certificate],
          revocationLists: [...trust.revocationLists, await revocationList(third, [], NOW, CRL_UNTIL)],
        },
      }
    },
    expected: { kind: 'untrusted', issuer: 'CN=テスト民間第二中間認証局, C=JP' },
  },
  {
    name: `a path longer than ${MAX_INTERMEDIATES} intermediates, however the constraints allow it`,
    make: async () => {
      const root = await createAuthority('CN=深いルート, C=JP', NOW, { pathLength: 10 })
      const chain = [root]
      for (let i = 1; i <= MAX_INTERMEDIATES + 1; i++)
        chain.push(
          await createAuthority(`CN=深い中間${i}, C=JP`, NOW, { issuer: chain.at(-1), pathLength: 10 }),
        )
      return {
        leaf: await issueCertificate(chain.at(-1) as CertificationAuthority, SUBJECT, VALID),
        trust: {
          anchors: [{ certificate: root.certificate, kind: 'private' }],
          intermediates: chain.slice(1).map((c) => c.certificate),
          revocationLists: await Promise.all(chain.map((c) => revocationList(c, [], NOW, CRL_UNTIL))),
        },
      }
    },
    expected: { kind: 'untrusted' },
  },

  // Revocation.
  ...expiredRows(),
  ...crlChoiceRows(),
  {
    name: 'a CRL without nextUpdate: stale',
    make: async () => ({
      leaf: await issueCertificate(anchor, SUBJECT, VALID),
      trust: { ...trust, revocationLists: [await revocationList(anchor, [], NOW, undefined)] },
    }),
    expected: { kind: 'revocation-unknown' },
  },
  {
    name: 'a card its intermediate revoked',
    make: async () => {
      const leaf = await issueCertificate(intermediate, SUBJECT, VALID)
      const revoked = {
        ...crls,
        intermediate: await revocationList(intermediate, [leaf.serialNumber], NOW, CRL_UNTIL),
      }
      return { leaf, trust: { ...trust, revocationLists: Object.values(revoked) } }
    },
    expected: { kind: 'revoked' },
  },
  {
    name: 'an intermediate its anchor revoked',
    make: async () => {
      const serial = new x509.X509Certificate(new Uint8Array(intermediate.certificate)).serialNumber
      const revoked = { ...crls, anchor: await revocationList(anchor, [serial], NOW, CRL_UNTIL) }
      return {
        leaf: await issueCertificate(intermediate, SUBJECT, VALID),
        trust: { ...trust, revocationLists: Object.values(revoked) },
      }
    },
    expected: { kind: 'untrusted', issuer: 'CN=テスト民間中間認証局, C=JP' },
  },
  {
    name: 'an intermediate whose own status is unknown (no current CRL of its anchor)',
    make: async () => {
      const { anchor: _, ...others } = crls
      return {
        leaf: await issueCertificate(intermediate, SUBJECT, VALID),
        trust: { ...trust, revocationLists: Object.values(others) },
      }
    },
    expected: { kind: 'revocation-unknown' },
  },
]

/**
 * F2 and an expired certificate: a CRL may drop a revoked certificate once it has expired, so
 * its silence counts only while it must still list it, or when it says it keeps such entries.
 */
function expiredRows(): Row[] {
  const expiredLongAgo = { notBefore: daysFrom(NOW, -800), notAfter: daysFrom(NOW, -40) }
  const withCrl = async (crl: Uint8Array, revoke = false) => {
    const leaf = await issueCertificate(anchor, SUBJECT, expiredLongAgo)
    const list = revoke ? await revocationList(anchor, [leaf.serialNumber], NOW, daysFrom(NOW, 1)) : crl
    return { leaf, trust: { ...trust, revocationLists: [list] }, allowExpired: true }
  }
  /** A daily CRL that says it keeps the entries of certificates expired since `since`. */
  const keepingExpired = (since: Date) =>
    revocationList(anchor, [], NOW, daysFrom(NOW, 1), { keepsExpiredSince: since })
  return [
    {
      name: 'expired 40 days ago, and the CRL, issued since, may have dropped it: its status is unknown',
      make: async () => withCrl(await revocationList(anchor, [], NOW, daysFrom(NOW, 1))),
      expected: { kind: 'expired-status-unknown' },
    },
    {
      name: 'expired 40 days ago, on a CRL that keeps expired entries from before then',
      make: async () => withCrl(await keepingExpired(daysFrom(NOW, -3650))),
      expected: { use: 'private' },
    },
    {
      name: 'expired 40 days ago, on a CRL that keeps expired entries only from after then',
      make: async () => withCrl(await keepingExpired(daysFrom(NOW, -10))),
      expected: { kind: 'expired-status-unknown' },
    },
    {
      name: 'expired 40 days ago and still listed as revoked',
      make: async () => withCrl(new Uint8Array(), true),
      expected: { kind: 'revoked' },
    },
  ]
}

/** Which CRLs count: every full, current CRL of the issuer; not a delta, a partition, or one it cannot read. */
function crlChoiceRows(): Row[] {
  const crlWith = async (extension: InstanceType<typeof x509.Extension>) =>
    new Uint8Array(
      (
        await x509.X509CrlGenerator.create({
          issuer: anchor.name,
          thisUpdate: daysFrom(NOW, -1),
          nextUpdate: CRL_UNTIL,
          extensions: [extension],
          signingKey: anchor.keys.privateKey,
          signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        })
      ).rawData,
    )
  const onlyCrl = (crl: () => Promise<Uint8Array>) => async () => ({
    leaf: await issueCertificate(anchor, SUBJECT, VALID),
    trust: { ...trust, revocationLists: [await crl()] },
  })
  return [
    {
      name: 'listed on one of two current CRLs of its issuer, whichever comes first',
      make: async () => {
        const leaf = await issueCertificate(anchor, SUBJECT, VALID)
        const listing = await revocationList(anchor, [leaf.serialNumber], daysFrom(NOW, -2), CRL_UNTIL)
        return { leaf, trust: { ...trust, revocationLists: [crls.anchor as Uint8Array, listing] } }
      },
      expected: { kind: 'revoked' },
    },
    {
      name: 'only a delta CRL: not the whole list',
      make: onlyCrl(() => crlWith(new x509.Extension('2.5.29.27', true, new Uint8Array([2, 1, 1])))),
      expected: { kind: 'revocation-unknown' },
    },
    {
      name: 'only a partitioned CRL (issuingDistributionPoint)',
      make: onlyCrl(() => crlWith(new x509.Extension('2.5.29.28', true, new Uint8Array([0x30, 0])))),
      expected: { kind: 'revocation-unknown' },
    },
    {
      name: 'only a CRL with an unknown critical extension',
      make: onlyCrl(() => crlWith(new x509.Extension('1.2.392.99999.2', true, new Uint8Array([5, 0])))),
      expected: { kind: 'revocation-unknown' },
    },
  ]
}

describe('validateCertificate', () => {
  it.each(ROWS)('$name', async (row) => {
    const made = await row.make()
    const result = await validateCertificate(made.leaf.certificate, made.trust ?? trust, NOW, {
      allowExpired: made.allowExpired,
    })
    if ('use' in row.expected) {
      expect(result.ok ? { use: result.value.use } : result.error).toEqual(row.expected)
    } else {
      expect(result.ok ? 'accepted' : result.error).toMatchObject(row.expected)
    }
  })
})
