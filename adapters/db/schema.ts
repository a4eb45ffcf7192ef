/** The tables as Kysely sees them. Columns are snake_case in SQL and here. */
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string, Date | string>
/** A jsonb column: each driver serialises the value itself (a pre-stringified value would be stored as a JSON string). */
type Json<T> = ColumnType<T, T, T>

export type Database = {
  businesses: {
    id: string
    corporate_number: string
    name: string
    name_kana: string
    representative_title: string
    representative_name: string
    representative_name_kana: string
    postal_code: string
    address: string
    phone: string
    fax: string
    version: number
  }
  users: {
    id: string
    business_id: string
    role: 'representative' | 'agent'
    card_kind: 'ic-card' | 'file' | 'my-number'
    name: string
    name_kana: string
    department: string
    title: string
    postal_code: string
    address: string
    phone: string
    fax: string
    email: string
    version: number
  }
  notices: {
    id: string
    user_id: string
    kind: 'notice' | 'recommendation'
    title: string
    body: string
    published_at: Timestamp
    read_at: Timestamp | null
  }
  mandates: {
    user_id: string
    delegator_corporate_number: string
    delegator_business_name: string
    delegator_representative_name: string
    delegate_name: string
    authorities: Json<string[]>
    valid_from: Timestamp
    valid_to: Timestamp
    provider_id: string
    reference_number: string
  }
  certificates: {
    id: string
    user_id: string
    fingerprint: string
    serial_number: string
    subject: string
    issuer: string
    not_before: Timestamp
    not_after: Timestamp
  }
  sessions: {
    id: string
    csrf_token: string
    user_id: string | null
    challenge: string | null
    challenge_expires_at: Timestamp | null
    created_at: Timestamp
    last_seen_at: Timestamp
    signed_in_with: string | null
  }
  drafts: {
    id: string
    session_id: string
    flow: string
    payload: Json<unknown>
    base_version: number
    completed_change_id: string | null
    updated_at: ColumnType<Date, Date | string | undefined, Date | string>
    user_id: ColumnType<string | null, string | null | undefined, string | null>
  }
  user_changes: {
    id: string
    user_id: string
    business_id: string
    kind: string
    before: Json<unknown>
    after: Json<unknown>
    created_at: Timestamp
    sync_state: 'waiting' | 'retrying' | 'done' | 'failed' | 'superseded'
    sync_receipt: string | null
    sync_attempts: ColumnType<number, number | undefined, number>
    sync_updated_at: Timestamp
    sync_error: string | null
    business_before: Json<unknown> | null
    business_after: Json<unknown> | null
    qualifications: Json<unknown> | null
    certificates: Json<unknown> | null
    failure_notified_at: Timestamp | null
    made_by_name: string | null
    erased_fields: Json<string[]> | null
    receipt_number: string
  }
  qualifications: {
    id: string
    business_id: string
    supplier_code: string
    kind: string
    grade: string
    regions: Json<string[]>
    first_year: number
  }
  audit_log: {
    id: Generated<string>
    at: Timestamp
    action: string
    outcome: string
    user_id: string | null
    business_id: string | null
    client_address: string | null
    detail: Json<Record<string, unknown>>
  }
  sign_in_failures: { id: Generated<string>; key: string; at: Timestamp }
  sent_mails: { key_digest: string; sent_at: Timestamp }
  expiry_reminders: {
    subject_kind: 'certificate' | 'mandate'
    subject_id: string
    days_before: number
    user_id: string
    sent_at: Timestamp
  }
  demo_data: { made_for: Timestamp }
  crl_cache: { url: string; crl: Uint8Array; next_update: Timestamp | null; fetched_at: Timestamp }
  trust_anchors: {
    name: string
    certificate: Uint8Array
    crl: Uint8Array | null
    kind: Generated<'private' | 'jpki'>
    /** A trust anchor, or an intermediate authority under one. */
    role: Generated<'anchor' | 'intermediate'>
  }
  /** Development only (migrations/development): production drops the schema. */
  'development.virtual_cards': {
    id: string
    holder_name: string
    card_kind: 'ic-card' | 'file' | 'my-number'
    pin_kind: 'ic-card' | 'file' | 'my-number-user-authentication' | 'my-number-signing'
    pin_salt: string
    pin_hash: string
    wrong_tries: number
    certificate: Uint8Array
    private_key: Uint8Array
    sort_order: number
    companion_card_id: string | null
    renews_card_id: string | null
  }
}
