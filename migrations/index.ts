/** Every migration, in order: a static list, so that bundlers and Deno see them all. */
import type { Migration } from 'kysely/migration'
import * as accounts from './0001-accounts.ts'
import * as businessChanges from './0002-business-changes.ts'
import * as qualifications from './0003-qualifications.ts'
import * as certificateChanges from './0004-certificate-changes.ts'
import * as revocationLists from './0005-revocation-lists.ts'
import * as signInFailures from './0006-sign-in-failures.ts'
import * as pinKinds from './0007-pin-kinds.ts'
import * as myNumberCards from './0008-my-number-cards.ts'
import * as trustAnchorKinds from './0009-trust-anchor-kinds.ts'
import * as mandates from './0010-mandates.ts'
import * as notices from './0011-notices.ts'
import * as expiryReminders from './0012-expiry-reminders.ts'
import * as draftUsers from './0013-draft-users.ts'
import * as sentMails from './0014-sent-mails.ts'
import * as demoData from './0015-demo-data.ts'
import * as failureIds from './0016-failure-ids.ts'
import * as developmentSchema from './0017-development-schema.ts'
import * as sessionCertificates from './0018-session-certificates.ts'
import * as crlCache from './0019-crl-cache.ts'
import * as intermediateAuthorities from './0020-intermediate-authorities.ts'
import * as changeRecords from './0021-change-records.ts'
import * as receiptNumbers from './0022-receipt-numbers.ts'
import * as canonicalPhoneNumbers from './0023-canonical-phone-numbers.ts'
import * as keysetIndexes from './0024-keyset-indexes.ts'
import * as undeliveredAndSessionIndexes from './0025-undelivered-and-session-indexes.ts'

export const migrations: Record<string, Migration> = {
  '0001-accounts': accounts,
  '0002-business-changes': businessChanges,
  '0003-qualifications': qualifications,
  '0004-certificate-changes': certificateChanges,
  '0005-revocation-lists': revocationLists,
  '0006-sign-in-failures': signInFailures,
  '0007-pin-kinds': pinKinds,
  '0008-my-number-cards': myNumberCards,
  '0009-trust-anchor-kinds': trustAnchorKinds,
  '0010-mandates': mandates,
  '0011-notices': notices,
  '0012-expiry-reminders': expiryReminders,
  '0013-draft-users': draftUsers,
  '0014-sent-mails': sentMails,
  '0015-demo-data': demoData,
  '0016-failure-ids': failureIds,
  '0017-development-schema': developmentSchema,
  '0018-session-certificates': sessionCertificates,
  '0019-crl-cache': crlCache,
  '0020-intermediate-authorities': intermediateAuthorities,
  '0021-change-records': changeRecords,
  '0022-receipt-numbers': receiptNumbers,
  '0023-canonical-phone-numbers': canonicalPhoneNumbers,
  '0024-keyset-indexes': keysetIndexes,
  '0025-undelivered-and-session-indexes': undeliveredAndSessionIndexes,
}
