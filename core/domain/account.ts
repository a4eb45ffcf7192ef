/**
 * The account: a business (事業者), its users (利用者), their certificates (電子証明書).
 * Exactly one user of a business is the representative (代表者); the others are agents (代理人等).
 */

export type Role = 'representative' | 'agent'
/** How the user signs in: an IC card, a file (PKCS#12) or a My Number card (JPKI). */
export type CardKind = 'ic-card' | 'file' | 'my-number'

/**
 * A My Number agent: an agent (代理人等) registered with a My Number card, whose authority rests on
 * an electronic mandate (電子委任状). F3 and F4 are theirs only, and only F2 changes their
 * certificates: the user-update screen lets them change neither.
 */
export const isMyNumberAgent = (user: { role: Role; cardKind: CardKind }): boolean =>
  user.role === 'agent' && user.cardKind === 'my-number'

/** 利用者基本情報(事業者情報): what the representative keeps up to date (法人番号 never changes). */
export type BusinessFields = {
  name: string // 商号又は名称
  nameKana: string // フリガナ
  representativeTitle: string // 代表者役職
  representativeName: string // 代表者氏名
  representativeNameKana: string // フリガナ
  postalCode: string // 郵便番号
  address: string // 所在地
  phone: string // 電話番号
  fax: string // FAX番号
}

export type Business = BusinessFields & {
  id: string
  corporateNumber: string // 法人番号
  version: number
}

/** 利用者基本情報(利用者情報) as the user keeps it up to date; 氏名 comes from the certificate. */
export type UserFields = {
  nameKana: string // フリガナ
  department: string // 部署名
  title: string // 役職名
  postalCode: string // 郵便番号
  address: string // 住所
  phone: string // 電話番号
  fax: string // FAX番号
  email: string // メールアドレス
}

export type User = UserFields & {
  id: string
  businessId: string
  role: Role
  cardKind: CardKind
  name: string // 氏名, from the certificate
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

/** No user fields at all: what a deletion (F4) records, and what its user's earlier changes keep. */
export const NO_USER_FIELDS: UserFields = {
  nameKana: '',
  department: '',
  title: '',
  postalCode: '',
  address: '',
  phone: '',
  fax: '',
  email: '',
}

/** Every user field, in the order of the input screen. */
export const USER_FIELDS = [
  'nameKana',
  'department',
  'title',
  'postalCode',
  'address',
  'phone',
  'fax',
  'email',
] as const satisfies readonly (keyof UserFields)[]
export type UserField = (typeof USER_FIELDS)[number]

/**
 * The user fields an agent may change (SPEC §2), in the order the manual's
 * 更新する利用者情報の入力画面(代表者以外の代理人等) names them; the representative may change them all.
 */
export const AGENT_EDITABLE_FIELDS = [
  'title',
  'address',
  'postalCode',
  'phone',
  'fax',
  'email',
] as const satisfies readonly UserField[]

export const editableUserFields = (role: Role): readonly UserField[] =>
  role === 'representative' ? USER_FIELDS : AGENT_EDITABLE_FIELDS

export const BUSINESS_FIELDS = [
  'name',
  'nameKana',
  'representativeTitle',
  'representativeName',
  'representativeNameKana',
  'postalCode',
  'address',
  'phone',
  'fax',
] as const satisfies readonly (keyof BusinessFields)[]
export type BusinessField = (typeof BUSINESS_FIELDS)[number]

/** The manual's name of each field, as the labels and the messages use it. */
export const FIELD_LABELS: Record<UserField | 'emailConfirmation', string> = {
  nameKana: 'フリガナ',
  department: '部署名',
  title: '役職名',
  postalCode: '郵便番号',
  address: '住所',
  phone: '電話番号',
  fax: 'FAX番号',
  email: 'メールアドレス',
  emailConfirmation: 'メールアドレス(確認)',
}

/**
 * The business fields' names. Where the manual's name repeats one of the user section
 * (郵便番号) or of its own (フリガナ), a qualifier says which: the screen shows it beside the label,
 * and the messages name the field with it.
 */
export const BUSINESS_FIELD_LABELS: Record<BusinessField, { label: string; qualifier?: string }> = {
  name: { label: '商号又は名称' },
  nameKana: { label: 'フリガナ', qualifier: '商号又は名称' },
  representativeTitle: { label: '代表者役職' },
  representativeName: { label: '代表者氏名' },
  representativeNameKana: { label: 'フリガナ', qualifier: '代表者氏名' },
  postalCode: { label: '郵便番号', qualifier: '事業者' },
  address: { label: '所在地' },
  phone: { label: '電話番号', qualifier: '事業者' },
  fax: { label: 'FAX番号', qualifier: '事業者' },
}

export const businessFieldName = (field: BusinessField): string => {
  const { label, qualifier } = BUSINESS_FIELD_LABELS[field]
  return qualifier ? `${label}（${qualifier}）` : label
}

export const userFieldsOf = (user: User): UserFields => ({
  nameKana: user.nameKana,
  department: user.department,
  title: user.title,
  postalCode: user.postalCode,
  address: user.address,
  phone: user.phone,
  fax: user.fax,
  email: user.email,
})

export const businessFieldsOf = (business: Business): BusinessFields => ({
  name: business.name,
  nameKana: business.nameKana,
  representativeTitle: business.representativeTitle,
  representativeName: business.representativeName,
  representativeNameKana: business.representativeNameKana,
  postalCode: business.postalCode,
  address: business.address,
  phone: business.phone,
  fax: business.fax,
})

export type FieldChange = { field: string; label: string; before: string; after: string }

/** What differs between two versions of a user's fields, in screen order. */
export const userFieldChanges = (before: UserFields, after: UserFields): FieldChange[] =>
  USER_FIELDS.filter((f) => before[f] !== after[f]).map((f) => ({
    field: f,
    label: FIELD_LABELS[f],
    before: before[f],
    after: after[f],
  }))

/** What differs between two versions of a business's fields, in screen order. */
export const businessFieldChanges = (before: BusinessFields, after: BusinessFields): FieldChange[] =>
  BUSINESS_FIELDS.filter((f) => before[f] !== after[f]).map((f) => ({
    field: f,
    label: businessFieldName(f),
    before: before[f],
    after: after[f],
  }))
