/**
 * Every use case, built once from the ports: main.ts passes the result to the web app and the
 * workers, which call use cases and never a port. Grouped by flow, each under the name the
 * screens and jobs call it by.
 */
import type { User } from '../domain/account.ts'
import type { MandateStore, NoticeStore } from '../ports.ts'
import {
  completeRenewal,
  type RenewalPorts,
  readNewCertificate,
  readRegisteredCertificate,
  readRenewedMyNumberCard,
  renewalProgress,
  reviewRenewal,
  viewRenewal,
} from './certificate-renewal/certificate-renewal.ts'
import { businessHistory } from './history/history.ts'
import {
  completeMandateRenewal,
  type MandateRenewalPorts,
  mandateCardReadStands,
  mandateGateApplies,
  mandateProviderChoices,
  mandateRequestDefaults,
  mandateStanding,
  readCardForMandate,
  requestMandate,
  reviewMandate,
  viewMandateRenewal,
} from './mandate-renewal/mandate-renewal.ts'
import { menuOverview, openNotice, recentChanges } from './menu/menu.ts'
import {
  endExpiredSessions,
  resumeSession,
  rotateSessionId,
  type SessionLimits,
} from './sessions/sessions.ts'
import { cardsInReach } from './shared/card-proof.ts'
import { issueChallenge, type SignInPorts, signIn, signOut, startSession } from './sign-in/sign-in.ts'
import { type ReminderPorts, sendExpiryReminders } from './sync/expiry-reminders.ts'
import { type MailDeliveryPorts, sendMailOnce } from './sync/mail-delivery.ts'
import { deliverChangeToGeps, endLostDelivery, type SyncPorts } from './sync/sync.ts'
import {
  deleteAgent,
  readCardForDeletion,
  reviewDeletion,
  type UserDeletionPorts,
  viewDeletion,
} from './user-deletion/user-deletion.ts'
import {
  certificateToRemove,
  requestCertificateRemoval,
  stageCertificate,
  stageCertificateRemoval,
} from './user-update/certificate-reads.ts'
import {
  discardStaging,
  keepTyped,
  loadInputScreen,
  qualificationPeriods,
  stageQualification,
  unstageQualification,
} from './user-update/staging.ts'
import {
  completeUserUpdate,
  prepareUserUpdate,
  reviewUserUpdate,
  viewOwnChange,
} from './user-update/update.ts'
import type { CertificatePorts, UserUpdatePorts } from './user-update/user-update.ts'

/** Every port the use cases need: what main.ts builds from the adapters. */
export type Ports = SignInPorts &
  UserUpdatePorts &
  CertificatePorts &
  RenewalPorts &
  MandateRenewalPorts &
  UserDeletionPorts &
  SyncPorts &
  ReminderPorts &
  MailDeliveryPorts & { notices: NoticeStore; mandates: MandateStore }

export const makeUseCases = (ports: Ports, settings: { sessionLimits: SessionLimits }) => ({
  sessions: {
    /** How long a session lives without use, and at most: what resume and endExpired enforce. */
    limits: settings.sessionLimits,
    start: startSession(ports),
    resume: resumeSession(ports, settings.sessionLimits),
    /** After a card read in a flow: a new id and CSRF token for the same session. */
    rotate: rotateSessionId(ports),
    endExpired: endExpiredSessions(ports, settings.sessionLimits),
  },
  cards: {
    /** A fresh challenge for the session's next card read. */
    challenge: issueChallenge(ports),
    inReach: cardsInReach(ports),
  },
  signIn: {
    signIn: signIn(ports),
    signOut: signOut(ports),
  },
  menu: {
    overview: menuOverview(ports),
    recentChanges: recentChanges(ports),
    openNotice: openNotice(ports),
  },
  userUpdate: {
    inputScreen: loadInputScreen(ports),
    keepTyped: keepTyped(ports),
    discardStaging: discardStaging(ports),
    stageQualification: stageQualification(ports),
    unstageQualification: unstageQualification(ports),
    qualificationPeriods: qualificationPeriods(ports),
    stageCertificate: stageCertificate(ports),
    requestCertificateRemoval: requestCertificateRemoval(ports),
    certificateToRemove: certificateToRemove(ports),
    stageCertificateRemoval: stageCertificateRemoval(ports),
    prepare: prepareUserUpdate(ports),
    review: reviewUserUpdate(ports),
    complete: completeUserUpdate(ports),
    viewChange: viewOwnChange(ports),
  },
  history: {
    ofBusiness: businessHistory(ports),
  },
  certificateRenewal: {
    readRegistered: readRegisteredCertificate(ports),
    readRenewedMyNumberCard: readRenewedMyNumberCard(ports),
    readNew: readNewCertificate(ports),
    progress: renewalProgress(ports),
    review: reviewRenewal(ports),
    complete: completeRenewal(ports),
    view: viewRenewal(ports),
  },
  mandateRenewal: {
    /** Whether the user must pass マイナンバーカード電子委任状失効画面 before anything else. */
    gateApplies: (user: User) => mandateGateApplies(ports, user),
    standing: mandateStanding(ports),
    readCard: readCardForMandate(ports),
    cardReadStands: mandateCardReadStands(ports),
    providerChoices: mandateProviderChoices(ports),
    requestDefaults: mandateRequestDefaults(ports),
    request: requestMandate(ports),
    review: reviewMandate(ports),
    complete: completeMandateRenewal(ports),
    view: viewMandateRenewal(ports),
  },
  userDeletion: {
    readCard: readCardForDeletion(ports),
    review: reviewDeletion(ports),
    remove: deleteAgent(ports),
    view: viewDeletion(ports),
  },
  sync: {
    deliverChange: deliverChangeToGeps(ports),
    endLostDelivery: endLostDelivery(ports),
    sendMail: sendMailOnce(ports),
    sendExpiryReminders: sendExpiryReminders(ports),
  },
})

export type UseCases = ReturnType<typeof makeUseCases>
