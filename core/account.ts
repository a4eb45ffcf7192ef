/**
 * The account: a business (事業者), its users (利用者), their certificates (電子証明書).
 * Exactly one user of a business is the representative (代表者); the others are agents (代理人等).
 */

export type Role = 'representative' | 'agent'
/** How the user signs in: an IC card, a file (PKCS#12) or a My Number card (JPKI). */
export type CardKind = 'ic-card' | 'file' | 'my-number'

export type Business = {
  id: string
  corporateNumber: string // 法人番号
  name: string // 商号又は名称
  nameKana: string
  representativeTitle: string // 代表者役職
  representativeName: string // 代表者氏名
  representativeNameKana: string
  postalCode: string
  address: string // 所在地
  phone: string
  fax: string
  version: number
}

/** The contact fields of a user (利用者基本情報(利用者情報)) that the user may keep up to date. */
export type UserContact = {
  title: string // 役職名
  postalCode: string // 郵便番号
  address: string // 住所
  phone: string // 電話番号
  fax: string // FAX番号
  email: string // メールアドレス
}

export type User = UserContact & {
  id: string
  businessId: string
  role: Role
  cardKind: CardKind
  name: string // 氏名, from the certificate
  nameKana: string // フリガナ
  department: string // 部署名
  version: number
}

export type Certificate = {
  id: string
  userId: string
  fingerprint: string // SHA-256 of the DER, hex
  serialNumber: string
  subject: string
  issuer: string
  notBefore: Date
  notAfter: Date
}

/** The fields an agent may change (SPEC §2), in the order of the input screen. */
export const AGENT_EDITABLE_FIELDS = ['title', 'postalCode', 'address', 'phone', 'fax', 'email'] as const
export type AgentEditableField = (typeof AGENT_EDITABLE_FIELDS)[number]

/** The manual's name of each field, as labels and messages use it. */
export const FIELD_LABELS: Record<keyof UserContact | 'emailConfirmation', string> = {
  title: '役職名',
  postalCode: '郵便番号',
  address: '住所',
  phone: '電話番号',
  fax: 'FAX番号',
  email: 'メールアドレス',
  emailConfirmation: 'メールアドレス(確認)',
}

export const contactOf = (user: User): UserContact => ({
  title: user.title,
  postalCode: user.postalCode,
  address: user.address,
  phone: user.phone,
  fax: user.fax,
  email: user.email,
})

export type FieldChange = { field: keyof UserContact; label: string; before: string; after: string }

/** What differs between two versions of a user's contact fields, in screen order. */
export const contactChanges = (before: UserContact, after: UserContact): FieldChange[] =>
  AGENT_EDITABLE_FIELDS.filter((f) => before[f] !== after[f]).map((f) => ({
    field: f,
    label: FIELD_LABELS[f],
    before: before[f],
    after: after[f],
  }))
