/**
 * The demo data of SPEC §6: 株式会社サンプル商事, its four users, a test PKI with a certificate and a
 * virtual card for each. Loading it twice changes nothing.
 */
import { type Kysely, sql } from 'kysely'
import type { Business, Certificate, User } from '../../core/domain/account.ts'
import { describeCertificate } from '../../core/domain/certificates.ts'
import type { Mandate } from '../../core/domain/mandates.ts'
import type { Notice } from '../../core/domain/notices.ts'
import { currentCycle, type Qualification } from '../../core/domain/qualifications.ts'
import { newId, randomToken } from '../../core/lib/ids.ts'
import { x509 } from '../../core/lib/x509.ts'
import type { JobQueue } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'
import { businessRow, kyselyAccountStore, userRow } from '../stores/account-store.kysely.ts'
import { kyselyMandateStore } from '../stores/mandate-store.kysely.ts'
import type { MemoryState } from '../stores/memory.ts'
import { kyselyNoticeStore } from '../stores/notice-store.kysely.ts'
import { demoExpiredMandate } from './demo-mandates.ts'
import { writePkcs12 } from './pkcs12-writer.ts'
import {
  type CertificationAuthority,
  createAuthority,
  daysFrom,
  issueCertificate,
  revocationList,
} from './test-pki.ts'
import { hashPin, type PinKind, type VirtualCard, type VirtualCardStore } from './virtual-card-reader.ts'

export const DEMO_BUSINESS_ID = '00000000-0000-4000-8000-000000000001'
export const DEMO_USER_IDS = {
  taro: '00000000-0000-4000-8000-000000000011',
  hanako: '00000000-0000-4000-8000-000000000012',
  jiro: '00000000-0000-4000-8000-000000000013',
  saburo: '00000000-0000-4000-8000-000000000014',
} as const

/** The virtual cards, as the README and `npm start` list them. */
export const DEMO_CARDS = [
  { cardId: 'taro-ic', holder: '調達 太郎', label: '調達 太郎（代表者・ICカード）', pin: '1234' },
  { cardId: 'hanako-file', holder: '入札 花子', label: '入札 花子（代理人・ファイル）', pin: 'hanako-2026' },
  {
    cardId: 'jiro-mynumber',
    holder: '委任 次郎',
    label: '委任 次郎（代理人・マイナンバーカード）',
    pin: '4321',
    pinNote: '利用者証明用電子証明書のPIN: ログイン',
  },
  // The same card's signing certificate, behind its own PIN (F2, F3).
  {
    cardId: 'jiro-mynumber-signing',
    holder: '委任 次郎',
    label: '委任 次郎（代理人・マイナンバーカード）',
    pin: 'ABC123',
    pinNote: '署名用電子証明書のPIN: 電子証明書更新',
  },
  // His renewed card (same PINs): JPKI links its certificates to the registered ones.
  {
    cardId: 'jiro-mynumber-renewed',
    holder: '委任 次郎',
    label: '委任 次郎（更新後のマイナンバーカード・未登録）',
    pin: '4321',
    pinNote: '利用者証明用電子証明書のPIN: ログイン',
  },
  {
    cardId: 'jiro-mynumber-renewed-signing',
    holder: '委任 次郎',
    label: '委任 次郎（更新後のマイナンバーカード・未登録）',
    pin: 'ABC123',
    pinNote: '署名用電子証明書のPIN: 電子証明書更新',
  },
  {
    cardId: 'saburo-ic-expired',
    holder: '更新 三郎',
    label: '更新 三郎（代理人・期限切れICカード）',
    pin: '5678',
  },
  { cardId: 'saburo-ic-new', holder: '更新 三郎', label: '更新 三郎（新しいICカード・未登録）', pin: '5678' },
  { cardId: 'taro-ic-new', holder: '調達 太郎', label: '調達 太郎（新しいICカード・未登録）', pin: '1234' },
  {
    cardId: 'hanako-revoked',
    holder: '入札 花子',
    label: '入札 花子（失効した電子証明書）',
    pin: 'hanako-2026',
  },
] as const

type DemoCardId = (typeof DEMO_CARDS)[number]['cardId']
const demoCardIndex = (cardId: string) => DEMO_CARDS.findIndex((c) => c.cardId === cardId)
const demoCard = (cardId: DemoCardId) => DEMO_CARDS[demoCardIndex(cardId)] as (typeof DEMO_CARDS)[number]

export const PRIVATE_CA_NAME = 'CN=テスト民間認証局, O=調達ポータル開発用, C=JP'
export const JPKI_CA_NAME = 'CN=テスト公的個人認証局, O=公的個人認証サービス開発用, C=JP'
const DEMO_TRUST_ANCHOR_NAMES = { private: 'private-ca', jpki: 'jpki-ca' } as const

/** Where the demo certificates say their authority's CRL is published (the development twin answers). */
export const DEMO_CRL_HOST = 'crl.portal-demo.invalid'
const demoCrlUrl = (anchorName: string) => `http://${DEMO_CRL_HOST}/${anchorName}.crl`

export type DemoData = {
  trustAnchors: { name: string; kind: 'private' | 'jpki'; certificate: Uint8Array; crl: Uint8Array }[]
  business: Business
  users: User[]
  certificates: Certificate[]
  cards: VirtualCard[]
  qualifications: Qualification[]
  /** Each My Number agent's registered mandate: 委任 次郎's has expired. */
  mandates: { userId: string; mandate: Mandate }[]
  /** A few お知らせ and レコメンド for every user. */
  notices: Notice[]
}

/**
 * The business's one qualification (SPEC §6): 役務の提供等, A, 関東・甲信越 and 近畿, for the cycle
 * current at `now` (令和7・8・9年度 from April 2025 to March 2028, then 令和10・11・12年度 ...).
 */
const demoQualification = (now: Date): Qualification => ({
  id: '00000000-0000-4000-8000-000000000021',
  supplierCode: '0000012345',
  kind: '役務の提供等',
  grade: 'A',
  regions: ['関東・甲信越', '近畿'],
  firstYear: currentCycle(now),
})

const business: Business = {
  id: DEMO_BUSINESS_ID,
  corporateNumber: '7123456789012',
  name: '株式会社サンプル商事',
  nameKana: 'サンプルショウジ',
  representativeTitle: '代表取締役',
  representativeName: '調達 太郎',
  representativeNameKana: 'チョウタツ タロウ',
  postalCode: '100-0013',
  address: '東京都千代田区霞が関三丁目1番1号',
  phone: '03-1234-5678',
  fax: '03-1234-5679',
  version: 1,
}

const contact = (email: string, title: string) => ({
  title,
  postalCode: business.postalCode,
  address: business.address,
  phone: business.phone,
  fax: business.fax,
  email,
})

const users: User[] = [
  {
    id: DEMO_USER_IDS.taro,
    businessId: business.id,
    role: 'representative',
    cardKind: 'ic-card',
    name: '調達 太郎',
    nameKana: 'チョウタツ タロウ',
    department: '',
    ...contact('taro@sample-shoji.example.jp', '代表取締役'),
    version: 1,
  },
  {
    id: DEMO_USER_IDS.hanako,
    businessId: business.id,
    role: 'agent',
    cardKind: 'file',
    name: '入札 花子',
    nameKana: 'ニュウサツ ハナコ',
    department: '営業部',
    ...contact('hanako@sample-shoji.example.jp', '課長'),
    version: 1,
  },
  {
    id: DEMO_USER_IDS.jiro,
    businessId: business.id,
    role: 'agent',
    cardKind: 'my-number',
    name: '委任 次郎',
    nameKana: 'イニン ジロウ',
    department: '',
    ...contact('jiro@sample-shoji.example.jp', ''),
    version: 1,
  },
  {
    id: DEMO_USER_IDS.saburo,
    businessId: business.id,
    role: 'agent',
    cardKind: 'ic-card',
    name: '更新 三郎',
    nameKana: 'コウシン サブロウ',
    department: '総務部',
    ...contact('saburo@sample-shoji.example.jp', ''),
    version: 1,
  },
]

/** Two お知らせ (one read) and one レコメンド for a user. */
const demoNotices = (userId: string, now: Date): Notice[] => [
  {
    id: newId(),
    userId,
    kind: 'notice',
    title: '調達ポータルの定期メンテナンスのお知らせ',
    body: '日曜日の0時から6時までは、定期メンテナンスのため調達ポータルを利用できないことがあります。',
    publishedAt: daysFrom(now, -3),
  },
  {
    id: newId(),
    userId,
    kind: 'notice',
    title: '電子証明書の有効期限にご注意ください',
    body: '有効期限が切れた電子証明書ではログインできません。期限が近い場合は、新しい電子証明書を用意し、電子証明書更新の手続きを行ってください。',
    publishedAt: daysFrom(now, -10),
    readAt: daysFrom(now, -9),
  },
  {
    id: newId(),
    userId,
    kind: 'recommendation',
    title: '役務の提供等（関東・甲信越）の新しい調達案件',
    body: 'ご登録の資格に合う調達案件が公開されています。政府電子調達システム(GEPS)でご確認ください。',
    publishedAt: daysFrom(now, -1),
  },
]

/** Makes the test PKI and everything that refers to it. Each call makes new keys. */
export const buildDemoData = async (now: Date): Promise<DemoData> => {
  const privateCa = await createAuthority(PRIVATE_CA_NAME, now)
  const jpkiCa = await createAuthority(JPKI_CA_NAME, now)
  const subject = (name: string) => `CN=${name}, O=${business.name}, C=JP`
  const valid = { notBefore: daysFrom(now, -30), notAfter: daysFrom(now, 700) }
  const renewedValidity = { notBefore: daysFrom(now, -1), notAfter: daysFrom(now, 5 * 365) }
  const signing = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation
  const plan: {
    cardId: DemoCardId
    userId?: string
    ca: CertificationAuthority
    kind: VirtualCard['cardKind']
    pinKind: PinKind
    validity: { notBefore: Date; notAfter: Date }
    keyUsage?: number
    companion?: DemoCardId
    renews?: DemoCardId
  }[] = [
    {
      cardId: 'taro-ic',
      userId: DEMO_USER_IDS.taro,
      ca: privateCa,
      kind: 'ic-card',
      pinKind: 'ic-card',
      validity: valid,
    },
    {
      cardId: 'hanako-file',
      userId: DEMO_USER_IDS.hanako,
      ca: privateCa,
      kind: 'file',
      pinKind: 'file',
      // Expires within 30 days: the menu shows it, and the expiry reminder is mailed.
      validity: { notBefore: daysFrom(now, -340), notAfter: daysFrom(now, 25) },
    },
    {
      cardId: 'jiro-mynumber',
      userId: DEMO_USER_IDS.jiro,
      ca: jpkiCa,
      kind: 'my-number',
      pinKind: 'my-number-user-authentication',
      validity: valid,
    },
    {
      cardId: 'jiro-mynumber-signing',
      userId: DEMO_USER_IDS.jiro,
      ca: jpkiCa,
      kind: 'my-number',
      pinKind: 'my-number-signing',
      validity: valid,
      keyUsage: signing,
      companion: 'jiro-mynumber',
    },
    {
      cardId: 'saburo-ic-expired',
      userId: DEMO_USER_IDS.saburo,
      ca: privateCa,
      kind: 'ic-card',
      pinKind: 'ic-card',
      validity: { notBefore: daysFrom(now, -760), notAfter: daysFrom(now, -3) },
    },
    { cardId: 'saburo-ic-new', ca: privateCa, kind: 'ic-card', pinKind: 'ic-card', validity: valid },
    { cardId: 'taro-ic-new', ca: privateCa, kind: 'ic-card', pinKind: 'ic-card', validity: valid },
    // Registered, and revoked by its authority: sign-in must refuse it.
    {
      cardId: 'hanako-revoked',
      userId: DEMO_USER_IDS.hanako,
      ca: privateCa,
      kind: 'file',
      pinKind: 'file',
      validity: valid,
    },
    {
      cardId: 'jiro-mynumber-renewed',
      ca: jpkiCa,
      kind: 'my-number',
      pinKind: 'my-number-user-authentication',
      validity: renewedValidity,
      renews: 'jiro-mynumber',
    },
    {
      cardId: 'jiro-mynumber-renewed-signing',
      ca: jpkiCa,
      kind: 'my-number',
      pinKind: 'my-number-signing',
      validity: renewedValidity,
      keyUsage: signing,
      companion: 'jiro-mynumber-renewed',
      renews: 'jiro-mynumber-signing',
    },
  ]
  const certificates: Certificate[] = []
  const cards: VirtualCard[] = []
  const serials = new Map<string, string>()
  for (const p of plan) {
    const card = demoCard(p.cardId)
    // A My Number card's certificate names only the person; a private one names the business too.
    const name = p.kind === 'my-number' ? `CN=${card.holder}, C=JP` : subject(card.holder)
    const anchorName = p.ca === jpkiCa ? DEMO_TRUST_ANCHOR_NAMES.jpki : DEMO_TRUST_ANCHOR_NAMES.private
    const issued = await issueCertificate(p.ca, name, p.validity, {
      keyUsage: p.keyUsage,
      extensions: [new x509.CRLDistributionPointsExtension([demoCrlUrl(anchorName)])],
    })
    serials.set(p.cardId, issued.serialNumber)
    const salt = randomToken(16)
    cards.push({
      cardId: p.cardId,
      holderName: card.label,
      cardKind: p.kind,
      pinKind: p.pinKind,
      pinSalt: salt,
      pinHash: await hashPin(salt, card.pin),
      wrongTries: 0,
      certificate: issued.certificate,
      privateKey: issued.privateKey,
      companionCardId: p.companion,
      renewsCardId: p.renews,
    })
    if (p.userId) {
      const facts = await describeCertificate(new Uint8Array(issued.certificate))
      certificates.push({
        id: newId(),
        userId: p.userId,
        fingerprint: facts.fingerprint,
        serialNumber: facts.serialNumber,
        subject: facts.subject,
        issuer: facts.issuer,
        notBefore: facts.notBefore,
        notAfter: facts.notAfter,
      })
    }
  }
  // The virtual card list shows the cards in the order of DEMO_CARDS.
  cards.sort((x, y) => demoCardIndex(x.cardId) - demoCardIndex(y.cardId))
  // Each authority publishes a CRL; the private CA's lists the revoked card. Long-lived, so that a
  // development database keeps working: real CRLs are fetched again before their nextUpdate.
  const revoked = serials.get('hanako-revoked')
  const crlUntil = daysFrom(now, 3650)
  // Both authorities keep the entries of expired certificates (ExpiredCertsOnCRL), so that F2
  // can renew 更新 三郎's expired card: a CRL that may have dropped them would not do.
  const keptSince = daysFrom(now, -3650)
  return {
    trustAnchors: [
      {
        name: DEMO_TRUST_ANCHOR_NAMES.jpki,
        kind: 'jpki',
        certificate: jpkiCa.certificate,
        crl: await revocationList(jpkiCa, [], now, crlUntil, { keepsExpiredSince: keptSince }),
      },
      {
        name: DEMO_TRUST_ANCHOR_NAMES.private,
        kind: 'private',
        certificate: privateCa.certificate,
        crl: await revocationList(privateCa, revoked ? [revoked] : [], now, crlUntil, {
          keepsExpiredSince: keptSince,
        }),
      },
    ],
    business: structuredClone(business),
    qualifications: [demoQualification(now)],
    mandates: [{ userId: DEMO_USER_IDS.jiro, mandate: demoExpiredMandate(now) }],
    notices: users.flatMap((u) => demoNotices(u.id, now)),
    users: structuredClone(users),
    certificates,
    cards,
  }
}

/**
 * How long demo data is kept as it was made. Everything in it is relative to the day it was made
 * for (入札 花子's certificate expires 25 days later, 委任 次郎's mandate lapsed 10 days before, the
 * qualification is of that day's cycle): a start more than a week later, or at an earlier date,
 * makes it anew for its own day, so that the demo shows on any day what the README describes.
 */
export const DEMO_DATA_KEPT_DAYS = 7

/** Whether demo data made for `madeFor` is still the demo at `now`. */
const demoDataIsCurrent = (madeFor: Date, now: Date): boolean =>
  now >= daysFrom(madeFor, -1) && now <= daysFrom(madeFor, DEMO_DATA_KEPT_DAYS)

/** What loading the demo data did; `previous` is the day the replaced demo data was made for. */
export type DemoDataLoad =
  | { outcome: 'created' }
  | { outcome: 'kept'; madeFor: Date }
  | { outcome: 'remade'; previous?: Date }

/** Whether the demo business is there, and the day its data was made for (unknown: made before it was kept). */
type DemoState = { present: false } | { present: true; madeFor?: Date }

const demoStateIn = async (executor: Kysely<Database>): Promise<DemoState> => {
  const business = await executor
    .selectFrom('businesses')
    .select('id')
    .where('id', '=', DEMO_BUSINESS_ID)
    .executeTakeFirst()
  if (!business) return { present: false }
  const made = await executor.selectFrom('demo_data').select('made_for').executeTakeFirst()
  return { present: true, madeFor: made && new Date(made.made_for) }
}

/**
 * Removes the demo data as F4 removes a user (their certificates, mandate, notices, sessions,
 * changes and, with `jobs`, their queued jobs), then the business, the test PKI and the virtual
 * cards. The audit log keeps what happened.
 */
const eraseDemoData = async (trx: Kysely<Database>, jobs: JobQueue | undefined) => {
  const accounts = kyselyAccountStore(trx)
  const users = await trx
    .selectFrom('users')
    .select('id')
    .where('business_id', '=', DEMO_BUSINESS_ID)
    .execute()
  for (const { id } of users) {
    await jobs?.forgetJobsOf(id)
    await accounts.eraseUser(id)
  }
  await trx.deleteFrom('qualifications').where('business_id', '=', DEMO_BUSINESS_ID).execute()
  await trx.deleteFrom('user_changes').where('business_id', '=', DEMO_BUSINESS_ID).execute()
  await trx.deleteFrom('businesses').where('id', '=', DEMO_BUSINESS_ID).execute()
  await trx.deleteFrom('trust_anchors').where('name', 'in', Object.values(DEMO_TRUST_ANCHOR_NAMES)).execute()
  await trx.deleteFrom('demo_data').execute()
  // The virtual cards are gone with the schema `development` once production has started here.
  const cards = await sql<{
    table: string | null
  }>`select to_regclass('development.virtual_cards')::text as table`.execute(trx)
  if (cards.rows[0]?.table)
    await trx
      .deleteFrom('development.virtual_cards')
      .where(
        'id',
        'in',
        DEMO_CARDS.map((c) => c.cardId),
      )
      .execute()
}

/**
 * Production keeps no demo data: the demo business, its users with their registered
 * certificates, and the test PKI's trust anchors (whose file keys /dev/certificate-files handed
 * out, with their passwords in the README) are erased if a development start left them. True if
 * they were there.
 */
export const removeDemoData = async (
  db: Kysely<Database>,
  jobsIn?: (trx: Kysely<Database>) => JobQueue,
): Promise<boolean> =>
  db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('portal-demo-data'))`.execute(trx)
    const anchors = await trx
      .selectFrom('trust_anchors')
      .select('name')
      .where('name', 'in', Object.values(DEMO_TRUST_ANCHOR_NAMES))
      .execute()
    if (!(await demoStateIn(trx)).present && anchors.length === 0) return false
    await eraseDemoData(trx, jobsIn?.(trx))
    return true
  })

/**
 * Loads the demo data, made for `now`, unless current demo data is there already; demo data that
 * has aged (see DEMO_DATA_KEPT_DAYS) is replaced. Two processes starting together on one database
 * load it once. `jobsIn` lets the replacement forget the queued jobs of the users it removes.
 */
export const loadDemoData = async (
  db: Kysely<Database>,
  now: Date,
  jobsIn?: (trx: Kysely<Database>) => JobQueue,
): Promise<DemoDataLoad> => {
  const kept = (state: DemoState): DemoDataLoad | undefined =>
    state.present && state.madeFor && demoDataIsCurrent(state.madeFor, now)
      ? { outcome: 'kept', madeFor: state.madeFor }
      : undefined
  const before = kept(await demoStateIn(db))
  if (before) return before
  const demo = await buildDemoData(now)
  return db.transaction().execute(async (trx): Promise<DemoDataLoad> => {
    // Two processes starting together on one database: the second waits here, then finds it done.
    await sql`select pg_advisory_xact_lock(hashtext('portal-demo-data'))`.execute(trx)
    const state = await demoStateIn(trx)
    const done = kept(state)
    if (done) return done
    if (state.present) await eraseDemoData(trx, jobsIn?.(trx))
    await trx.deleteFrom('demo_data').execute()
    await trx.insertInto('demo_data').values({ made_for: now }).execute()
    await trx.insertInto('trust_anchors').values(demo.trustAnchors).execute()
    const b = demo.business
    await trx.insertInto('businesses').values(businessRow(b)).execute()
    await trx.insertInto('users').values(demo.users.map(userRow)).execute()
    const accounts = kyselyAccountStore(trx)
    for (const u of demo.users) {
      const added = demo.certificates.filter((c) => c.userId === u.id)
      if (added.length > 0) await accounts.changeCertificates(u.id, { added, removed: [] })
    }
    await accounts.changeQualifications(b.id, { added: demo.qualifications, removed: [] })
    for (const { userId, mandate } of demo.mandates) await kyselyMandateStore(trx).replace(userId, mandate)
    await kyselyNoticeStore(trx).add(demo.notices)
    await trx
      .insertInto('development.virtual_cards')
      .values(
        demo.cards.map((c, i) => ({
          id: c.cardId,
          holder_name: c.holderName,
          card_kind: c.cardKind,
          pin_kind: c.pinKind,
          pin_salt: c.pinSalt,
          pin_hash: c.pinHash,
          wrong_tries: c.wrongTries,
          certificate: c.certificate,
          private_key: c.privateKey,
          sort_order: i,
          companion_card_id: c.companionCardId ?? null,
          renews_card_id: c.renewsCardId ?? null,
        })),
      )
      .execute()
    return state.present ? { outcome: 'remade', previous: state.madeFor } : { outcome: 'created' }
  })
}

/** The same demo data in an in-memory state, for use-case tests. */
export const loadDemoIntoMemory = (state: MemoryState, demo: DemoData): void => {
  state.businesses.set(demo.business.id, structuredClone(demo.business))
  for (const u of demo.users) state.users.set(u.id, structuredClone(u))
  for (const c of demo.certificates) state.certificates.set(c.id, structuredClone(c))
  for (const q of demo.qualifications)
    state.qualifications.set(q.id, { ...structuredClone(q), businessId: demo.business.id })
  for (const { userId, mandate } of demo.mandates) state.mandates.set(userId, structuredClone(mandate))
  for (const n of demo.notices) state.notices.set(n.id, structuredClone(n))
}

/** A demo file card as the .p12 its holder would have, under its documented password. */
export const demoCertificateFile = (store: VirtualCardStore) => async (cardId: string) => {
  const demo = DEMO_CARDS.find((c) => c.cardId === cardId)
  const card = demo && (await store.find(cardId))
  if (!demo || !card || card.pinKind !== 'file') return undefined
  return writePkcs12(card.certificate, card.privateKey, demo.pin)
}
