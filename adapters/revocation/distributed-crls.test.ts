/**
 * The CRLs a certificate names: fetched from its distribution point, kept until their nextUpdate,
 * fetched again after, and never taken as "not revoked" when the point cannot be reached.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { validateCertificate } from '../../core/domain/certificate-path.ts'
import { err, ok } from '../../core/lib/result.ts'
import { x509 } from '../../core/lib/x509.ts'
import type { CrlDistribution } from '../../core/ports.ts'
import { testClock } from '../../tests/support/clock.ts'
import {
  type CertificationAuthority,
  createAuthority,
  daysFrom,
  type Issued,
  issueCertificate,
  revocationList,
} from '../dev/test-pki.ts'
import { memoryCrlCache } from './crl-cache.ts'
import { distributionPointsOf, MAX_DISTRIBUTION_POINTS, withDistributedCrls } from './distributed-crls.ts'

const NOW = new Date('2026-11-27T10:00:00Z')
const URL_OF_CA = 'http://crl.example.jp/ca.crl'
const VALID = { notBefore: daysFrom(NOW, -10), notAfter: daysFrom(NOW, 300) }

let ca: CertificationAuthority
let card: Issued & { serialNumber: string }
beforeAll(async () => {
  ca = await createAuthority('CN=配布点のある認証局, C=JP', NOW)
  card = await issueCertificate(ca, 'CN=入札 花子, C=JP', VALID, {
    extensions: [new x509.CRLDistributionPointsExtension([URL_OF_CA, 'ldap://ldap.example.jp/cn=ca'])],
  })
})

/** A distribution point that publishes what the test says, counts its fetches, and can be down. */
const publisher = () => {
  const state = { crl: undefined as Uint8Array | undefined, down: false, fetches: 0 }
  const distribution: CrlDistribution = {
    fetch: async (url) => {
      state.fetches++
      await new Promise((r) => setTimeout(r, 5))
      if (state.down) return err({ kind: 'transient', message: 'down' })
      return url === URL_OF_CA && state.crl ? ok(state.crl) : err({ kind: 'permanent', message: '404' })
    },
  }
  return { state, distribution }
}

const setUp = () => {
  const clock = testClock(NOW)
  const { state, distribution } = publisher()
  // The anchor alone, with no CRL of its own: revocation must come from the distribution point.
  const anchors = {
    load: async () => ({
      anchors: [{ certificate: ca.certificate, kind: 'private' as const }],
      revocationLists: [],
    }),
  }
  const cache = memoryCrlCache()
  const trust = withDistributedCrls(anchors, { distribution, cache, clock })
  const judge = async () => {
    const result = await validateCertificate(
      card.certificate,
      await trust.load(card.certificate),
      clock.now(),
    )
    return result.ok ? 'accepted' : result.error.kind
  }
  return { clock, state, judge, cache }
}

describe('CRLs from distribution points', () => {
  it('reads the http(s) points a certificate names, each once, at most four', async () => {
    expect(distributionPointsOf(card.certificate)).toEqual([URL_OF_CA])
    const many = await issueCertificate(ca, 'CN=多すぎる, C=JP', VALID, {
      extensions: [
        new x509.CRLDistributionPointsExtension(
          Array.from({ length: 10 }, (_, i) => `https://crl${i}.example.jp/a.crl`),
        ),
      ],
    })
    expect(distributionPointsOf(many.certificate)).toHaveLength(MAX_DISTRIBUTION_POINTS)
    expect(distributionPointsOf(new Uint8Array([1, 2, 3]))).toEqual([])
  })

  it('fetches the CRL once and keeps it until its nextUpdate, then fetches it again', async () => {
    const { clock, state, judge } = setUp()
    state.crl = await revocationList(ca, [], NOW, daysFrom(NOW, 1))
    expect(await judge()).toBe('accepted')
    expect(await judge()).toBe('accepted')
    expect(state.fetches).toBe(1)
    // A day on, the CRL's time is up: the point is asked again, and now lists the card.
    clock.advance(25 * 3600_000)
    state.crl = await revocationList(ca, [card.serialNumber], clock.now(), daysFrom(clock.now(), 1))
    expect(await judge()).toBe('revoked')
    expect(state.fetches).toBe(2)
  })

  it('asks the point once for judgements made at the same time', async () => {
    const { state, judge } = setUp()
    state.crl = await revocationList(ca, [], NOW, daysFrom(NOW, 1))
    expect(await Promise.all([judge(), judge(), judge(), judge()])).toEqual(Array(4).fill('accepted'))
    expect(state.fetches).toBe(1)
  })

  it('asks no point of a certificate no known authority signed: anyone can name any URL', async () => {
    const rogue = await createAuthority('CN=配布点のある認証局, C=JP', NOW) // the same name, another key
    const forged = await issueCertificate(rogue, 'CN=攻撃者, C=JP', VALID, {
      extensions: [new x509.CRLDistributionPointsExtension([URL_OF_CA])],
    })
    const clock = testClock(NOW)
    const { distribution } = publisher()
    let asked = 0
    const counting: CrlDistribution = {
      fetch: (url) => {
        asked++
        return distribution.fetch(url)
      },
    }
    const anchors = {
      load: async () => ({
        anchors: [{ certificate: ca.certificate, kind: 'private' as const }],
        revocationLists: [],
      }),
    }
    const trust = withDistributedCrls(anchors, { distribution: counting, cache: memoryCrlCache(), clock })
    await trust.load(forged.certificate)
    expect(asked).toBe(0)
    await trust.load(card.certificate)
    expect(asked).toBe(1)
  })

  it('keeps no CRL a known authority did not sign, and none older than the one kept', async () => {
    const { clock, state, judge, cache } = setUp()
    const fresh = await revocationList(ca, [], NOW, daysFrom(NOW, 1))
    state.crl = fresh
    expect(await judge()).toBe('accepted')
    clock.advance(2 * 24 * 3600_000)
    // Over plain HTTP, someone answers in the authority's place: its name, another key.
    const impostor = await createAuthority('CN=配布点のある認証局, C=JP', NOW)
    state.crl = await revocationList(impostor, [], clock.now(), daysFrom(clock.now(), 3650))
    expect(await judge()).toBe('revocation-unknown')
    expect((await cache.find(URL_OF_CA))?.crl).toEqual(fresh)
    // A replay of a list older than the one kept.
    state.crl = await revocationList(ca, [], daysFrom(NOW, -10), daysFrom(clock.now(), 3650))
    expect(await judge()).toBe('revocation-unknown')
    expect((await cache.find(URL_OF_CA))?.crl).toEqual(fresh)
  })

  it('refuses rather than assumes good when the point cannot be reached', async () => {
    const { clock, state, judge, cache } = setUp()
    state.down = true
    expect(await judge()).toBe('revocation-unknown')
    // A CRL kept from before, once its time is up, is stale: still unknown, never "good".
    state.down = false
    state.crl = await revocationList(ca, [], NOW, daysFrom(NOW, 1))
    expect(await judge()).toBe('accepted')
    clock.advance(2 * 24 * 3600_000)
    state.down = true
    expect(await judge()).toBe('revocation-unknown')
    // What the point answers that is not a CRL is not kept: the stale one stays.
    const keptBefore = (await cache.find(URL_OF_CA))?.crl
    state.down = false
    state.crl = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])
    expect(await judge()).toBe('revocation-unknown')
    expect((await cache.find(URL_OF_CA))?.crl).toEqual(keptBefore)
    expect(keptBefore).toBeDefined()
  })
})
