/** The portal's own mails, as text. GEPS sends its own notice when it has taken a change. */

import { formatDateJa, formatDateTimeJa } from '../lib/format.ts'
import type { Expiring, UserChange, UserMail } from '../ports.ts'
import type { Business, Certificate, FieldChange, User } from './account.ts'
import type { Mandate } from './mandates.ts'
import { periodName, type Qualification } from './qualifications.ts'

const certificateLine = (c: Omit<Certificate, 'userId'>) =>
  `シリアル番号 ${c.serialNumber}、発行者 ${c.issuer}、有効期限 ${formatDateJa(c.notAfter)}`

const qualificationLine = (q: Qualification) =>
  `${periodName(q.firstYear)} ${q.kind} ${q.grade}等級 ${q.regions.join('・')}（業者コード ${q.supplierCode}）`

/** The lines every completion mail shares around its own: who, what was done, when, and the warning. */
const completionText = (args: {
  business: Business
  user: User
  done: string
  changeId: string
  receiptNumber: string
  at: Date
  body: string[]
}) =>
  [
    `${args.business.name}`,
    `${args.user.name} 様`,
    '',
    `調達ポータルで${args.done}が完了しました。`,
    `更新日時: ${formatDateTimeJa(args.at)}`,
    `受付番号: ${args.receiptNumber}`,
    '',
    ...args.body,
    '',
    'この更新に心当たりがない場合は、至急、調達ポータルのヘルプデスクにご連絡ください。',
    '',
    '調達ポータル',
  ].join('\n')

export const USER_UPDATED_SUBJECT = '[重要]利用者更新完了通知'
export const ADDRESS_CHANGED_SUBJECT = '[重要]メールアドレス変更のお知らせ'

export const userUpdatedMail = (args: {
  changeId: string
  receiptNumber: string
  user: User
  business: Business
  changes: FieldChange[]
  qualifications?: { added: Qualification[]; removed: Qualification[] }
  certificates?: { added: Omit<Certificate, 'userId'>[]; removed: Certificate[] }
  to: string
  at: Date
}): UserMail => ({
  userId: args.user.id,
  idempotencyKey: `user-updated:${args.changeId}:${args.to}`,
  to: args.to,
  subject: USER_UPDATED_SUBJECT,
  text: completionText({
    ...args,
    done: '利用者情報の更新',
    body: [
      '更新した項目:',
      ...args.changes.map((c) => `  ${c.label}: ${c.before || '（なし）'} → ${c.after || '（なし）'}`),
      ...(args.qualifications?.added ?? []).map((q) => `  資格情報（追加）: ${qualificationLine(q)}`),
      ...(args.qualifications?.removed ?? []).map((q) => `  資格情報（削除）: ${qualificationLine(q)}`),
      ...(args.certificates?.added ?? []).map((c) => `  電子証明書（追加）: ${certificateLine(c)}`),
      ...(args.certificates?.removed ?? []).map((c) => `  電子証明書（削除）: ${certificateLine(c)}`),
      '',
      '更新した利用者情報は政府電子調達システム(GEPS)に連携されます。',
      '連携が完了すると、政府電子調達システム(GEPS)から登録完了のメールが届きます。',
    ],
  }),
})

/** A short notice to the address that stops receiving mail, so a hijacked account is noticed. */
export const addressChangedMail = (args: {
  changeId: string
  receiptNumber: string
  user: User
  oldAddress: string
  at: Date
}): UserMail => ({
  userId: args.user.id,
  idempotencyKey: `address-changed:${args.changeId}:${args.oldAddress}`,
  to: args.oldAddress,
  subject: ADDRESS_CHANGED_SUBJECT,
  text: [
    `${args.user.name} 様`,
    '',
    `調達ポータルに登録されたメールアドレスが ${formatDateTimeJa(args.at)} に変更されました。`,
    '今後の通知は新しいメールアドレスに送信され、このアドレスには届きません。',
    '',
    'この変更に心当たりがない場合は、至急、調達ポータルのヘルプデスクにご連絡ください。',
    '',
    '調達ポータル',
  ].join('\n'),
})

export const MANDATE_RENEWED_SUBJECT = '[重要]電子委任状更新完了通知'

/** F3: the registered address learns that the mandate was renewed, and which one is registered now. */
export const mandateRenewedMail = (args: {
  changeId: string
  receiptNumber: string
  user: User
  business: Business
  mandate: Mandate
  providerName: string
  at: Date
}): UserMail => ({
  userId: args.user.id,
  idempotencyKey: `mandate-renewed:${args.changeId}`,
  to: args.user.email,
  subject: MANDATE_RENEWED_SUBJECT,
  text: completionText({
    ...args,
    done: 'マイナンバーカード電子委任状の更新',
    body: [
      `委任者: ${args.mandate.delegator.businessName}（法人番号 ${args.mandate.delegator.corporateNumber}） ${args.mandate.delegator.representativeName}`,
      `受任者: ${args.mandate.delegate.name}`,
      `代理権: ${args.mandate.authorities.join('、')}`,
      `有効期間: ${formatDateJa(args.mandate.validFrom)}〜${formatDateJa(args.mandate.validTo)}`,
      `電子委任状取扱事業者: ${args.providerName}（受付番号 ${args.mandate.referenceNumber}）`,
      '',
      '更新した電子委任状は政府電子調達システム(GEPS)に連携されます。',
    ],
  }),
})

export const CERTIFICATE_RENEWED_SUBJECT = '[重要]電子証明書更新完了通知'

/** F2: the registered address learns that a certificate was replaced, and by which. */
export const certificateRenewedMail = (args: {
  changeId: string
  receiptNumber: string
  user: User
  business: Business
  from: Omit<Certificate, 'userId'>[]
  to: Omit<Certificate, 'userId'>[]
  at: Date
}): UserMail => ({
  userId: args.user.id,
  idempotencyKey: `certificate-renewed:${args.changeId}`,
  to: args.user.email,
  subject: CERTIFICATE_RENEWED_SUBJECT,
  text: completionText({
    ...args,
    done: '電子証明書の更新',
    body: [
      ...args.from.map((c) => `更新元の電子証明書: ${certificateLine(c)}`),
      ...args.to.map((c) => `更新先の電子証明書: ${certificateLine(c)}`),
      '',
      '今後は更新先の電子証明書でログインしてください。更新した電子証明書情報は政府電子調達システム(GEPS)に連携され、',
      '連携が完了すると、政府電子調達システム(GEPS)から登録完了のメールが届きます。',
    ],
  }),
})

export const CERTIFICATE_EXPIRY_SUBJECT = '[重要]電子証明書の有効期限のお知らせ'
export const MANDATE_EXPIRY_SUBJECT = '[重要]電子委任状の有効期限のお知らせ'

/** A reminder, 60, 30 or 7 days ahead, that a registered certificate or mandate will expire, and what to do. */
export const expiryReminderMail = (args: {
  user: User
  expiring: Expiring
  subjectId: string
  daysBefore: number
  daysLeft: number
}): UserMail => {
  const { expiring, user } = args
  const until = formatDateJa(expiring.expiresAt)
  const what =
    expiring.kind === 'certificate'
      ? [
          `調達ポータルに登録されている電子証明書の有効期限は ${until} です（あと${args.daysLeft}日）。`,
          `電子証明書: ${certificateLine(expiring.certificate)}`,
          '',
          user.cardKind === 'my-number'
            ? 'マイナンバーカードの電子証明書を市区町村の窓口で更新した後、調達ポータルの「電子証明書更新」で新しい電子証明書に切り替えてください。'
            : '新しい電子証明書を認証局から取得し、有効期限が切れる前に「利用者情報更新」で追加してください。期限が切れた後は、ログインせずに「電子証明書更新」で切り替えられます。',
        ]
      : [
          `調達ポータルに登録されている電子委任状の有効期限は ${until} です（あと${args.daysLeft}日）。`,
          `電子委任状: 受付番号 ${expiring.mandate.referenceNumber}、委任者 ${expiring.mandate.delegator.businessName}`,
          '',
          '有効期限が切れると、政府電子調達システムでの手続きができなくなります。電子委任状取扱事業者で新しい電子委任状を取得し、調達ポータルの「電子委任状更新」で登録してください。',
        ]
  return {
    userId: user.id,
    idempotencyKey: `expiry:${expiring.kind}:${args.subjectId}:${args.daysBefore}`,
    to: user.email,
    subject: expiring.kind === 'certificate' ? CERTIFICATE_EXPIRY_SUBJECT : MANDATE_EXPIRY_SUBJECT,
    text: [`${user.name} 様`, '', ...what, '', '調達ポータル'].join('\n'),
  }
}

/** What each kind of change is called, on screens and in mails. */
export const CHANGE_KIND_LABELS: Record<UserChange['kind'], string> = {
  'user-contact-updated': '利用者情報更新',
  'certificate-renewed': '電子証明書更新',
  'mandate-renewed': '電子委任状更新',
  'user-deleted': '利用者情報削除',
}

export const SYNC_FAILED_SUBJECT = '[重要]政府電子調達システム(GEPS)への連携ができませんでした'
export const SYNC_RECOVERED_SUBJECT = '[重要]政府電子調達システム(GEPS)への連携が完了しました'

/** Whom a mail about someone's change goes to, and why they get it. */
export type ChangeRecipient = { user: User; about: 'own' | 'agent' }

/** Who is told about a change's delivery, of which change, and the business it is of. */
type DeliveryNotice = { change: UserChange; business: Business; madeBy: string; to: ChangeRecipient }

/** A mail about a change's delivery to GEPS: the recipient, the 受付番号 and the change, then `lines`. */
const deliveryMail = (
  kind: 'sync-failed' | 'sync-recovered',
  subject: string,
  args: DeliveryNotice,
  lead: string,
  lines: string[],
): UserMail => ({
  userId: args.to.user.id,
  idempotencyKey: `${kind}:${args.change.id}:${args.to.user.id}`,
  to: args.to.user.email,
  subject,
  text: [
    args.business.name,
    `${args.to.user.name} 様`,
    '',
    lead,
    '',
    `受付番号: ${args.change.receiptNumber}`,
    `手続き: ${CHANGE_KIND_LABELS[args.change.kind]}（${formatDateTimeJa(args.change.createdAt)} 受付、${args.madeBy}）`,
    '',
    ...lines,
    '',
    '調達ポータル',
  ].join('\n'),
})

/**
 * 連携失敗: GEPS refused a change for good, or it could not be delivered however often it was
 * tried. The portal keeps the change; the helpdesk re-sends it once the cause is removed.
 */
export const syncFailedMail = (args: DeliveryNotice): UserMail =>
  deliveryMail(
    'sync-failed',
    SYNC_FAILED_SUBJECT,
    args,
    args.to.about === 'own'
      ? '調達ポータルで受け付けたあなたの手続きを、政府電子調達システム(GEPS)に連携できませんでした。'
      : `調達ポータルで受け付けた貴社の利用者（${args.madeBy}）の手続きを、政府電子調達システム(GEPS)に連携できませんでした。`,
    [
      '調達ポータルには登録されていますが、政府電子調達システム(GEPS)にはまだ反映されていません。',
      'このままでは、政府電子調達システムでの入札等の手続きに反映されないことがあります。',
      '',
      'お手数ですが、上の受付番号を添えて調達ポータルのヘルプデスクにご連絡ください。',
      'ヘルプデスクが原因を確認したうえで、同じ内容を政府電子調達システム(GEPS)に送り直します。',
      '同じ手続きをもう一度行う必要はありません。送り直して連携が完了したときは、改めてお知らせします。',
    ],
  )

/** A change that had failed was re-sent by the helpdesk and GEPS has taken it now. */
export const syncRecoveredMail = (args: DeliveryNotice & { at: Date }): UserMail =>
  deliveryMail(
    'sync-recovered',
    SYNC_RECOVERED_SUBJECT,
    args,
    `先にお知らせした連携できなかった手続きは、${formatDateTimeJa(args.at)} に政府電子調達システム(GEPS)への連携が完了しました。`,
    ['ご対応は不要です。'],
  )

export const USER_DELETED_SUBJECT = '[重要]利用者情報削除完了通知'
export const AGENT_DELETED_SUBJECT = '[重要]代理人の利用者情報削除のお知らせ'

/** An F4 deletion, as both of its mails tell it: who, of which business, when, and what went. */
type AgentDeletion = {
  changeId: string
  receiptNumber: string
  user: User
  business: Business
  certificates: Omit<Certificate, 'userId'>[]
  mandate?: Mandate
  providerName?: string
  at: Date
}

/** What an F4 deletion took with it, for both of its mails. */
const deletedLines = (args: {
  certificates: Omit<Certificate, 'userId'>[]
  mandate?: Mandate
  providerName?: string
}) => [
  ...args.certificates.map((c) => `削除した電子証明書: ${certificateLine(c)}`),
  ...(args.mandate
    ? [
        `削除した電子委任状: ${args.providerName ?? args.mandate.providerId}（受付番号 ${args.mandate.referenceNumber}）`,
      ]
    : []),
]

/**
 * F4, to the address that was the agent's, sent after it is erased from the portal: the deletion
 * is done, and no more mail will come.
 */
export const userDeletedMail = (args: AgentDeletion): UserMail => ({
  userId: args.user.id,
  idempotencyKey: `user-deleted:${args.changeId}`,
  forgetOnceSent: true,
  to: args.user.email,
  subject: USER_DELETED_SUBJECT,
  text: completionText({
    ...args,
    done: '利用者情報の削除',
    body: [
      ...deletedLines(args),
      '',
      'あなたの利用者情報は調達ポータルから削除され、政府電子調達システム(GEPS)にも連携されます。',
      'このメールアドレスには、今後、調達ポータルからのお知らせは届きません。',
      '再び利用するときは、利用者登録を行ってください。',
    ],
  }),
})

/** F4, to the business's representative: an agent of the business deleted themself, when, and what went. */
export const agentDeletedMail = (args: AgentDeletion & { representative: User }): UserMail => ({
  userId: args.representative.id,
  idempotencyKey: `agent-deleted:${args.changeId}`,
  forgetOnceSent: true,
  to: args.representative.email,
  subject: AGENT_DELETED_SUBJECT,
  text: [
    args.business.name,
    `${args.representative.name} 様`,
    '',
    `貴社の代理人 ${args.user.name} さんの利用者情報が、調達ポータルから削除されました。`,
    `削除した人: ${args.user.name}（本人。マイナンバーカードで本人確認のうえ削除）`,
    `削除日時: ${formatDateTimeJa(args.at)}`,
    `受付番号: ${args.receiptNumber}`,
    '',
    ...deletedLines(args),
    '',
    'この代理人は、今後、貴社のために政府電子調達システムでの手続きを行えません。',
    'これまでの変更の記録は、調達ポータルの「変更履歴」で確認できます（氏名と手続きの種類のみ。連絡先は削除されています）。',
    '',
    'この削除に心当たりがない場合は、至急、調達ポータルのヘルプデスクにご連絡ください。',
    '',
    '調達ポータル',
  ].join('\n'),
})
