/**
 * メニュー: what the signed-in user sees first (their business, what expires soon, their recent
 * changes and their GEPS state, the notices and recommendations), and one notice opened.
 */
import type { Business, User } from '../../domain/account.ts'
import { DAY_MS, daysLeft, REMINDER_DAYS } from '../../domain/expiry.ts'
import type { Notice } from '../../domain/notices.ts'
import { isId } from '../../lib/ids.ts'
import type {
  AccountStore,
  ChangeStore,
  Clock,
  Expiring,
  MandateStore,
  NoticeStore,
  TrustAnchors,
  UserChange,
} from '../../ports.ts'
import { leftWithoutCertificate } from '../shared/certificate-succession.ts'

export type MenuPorts = {
  accounts: AccountStore
  notices: NoticeStore
  changes: ChangeStore
  mandates: MandateStore
  trustAnchors: TrustAnchors
  clock: Clock
}

/** How many of the user's own changes the menu shows. */
export const RECENT_CHANGES = 5

export type ExpiringSoon = Expiring & { daysLeft: number; expired: boolean }

/** For the menu: the user's certificates and mandate that expire within 60 days, or have expired. */
export const expiringSoonFor =
  (ports: Pick<MenuPorts, 'accounts' | 'mandates' | 'trustAnchors' | 'clock'>) =>
  async (user: Pick<User, 'id' | 'cardKind'>): Promise<ExpiringSoon[]> => {
    const now = ports.clock.now()
    const horizon = now.getTime() + Math.max(...REMINDER_DAYS) * DAY_MS
    const userId = user.id
    const [mandate, certificates] = await Promise.all([
      ports.mandates.findForUser(userId),
      ports.accounts.listCertificates(userId),
    ])
    const soon: Expiring[] = []
    for (const certificate of certificates) {
      if (certificate.notAfter.getTime() > horizon) continue
      // One that another of theirs takes over from is nothing to act on.
      if (!(await leftWithoutCertificate(ports, certificate, certificates, user.cardKind))) continue
      soon.push({ kind: 'certificate', userId, expiresAt: certificate.notAfter, certificate })
    }
    if (mandate && mandate.validTo.getTime() <= horizon) {
      soon.push({ kind: 'mandate', userId, expiresAt: mandate.validTo, mandate })
    }
    return soon
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
      .map((e) => ({ ...e, daysLeft: daysLeft(e.expiresAt, now), expired: e.expiresAt <= now }))
  }

export type MenuOverview = {
  business?: Business
  expiring: ExpiringSoon[]
  changes: UserChange[]
  notices: Notice[]
}

/** Everything the menu shows the user. */
export const menuOverview =
  (ports: MenuPorts) =>
  async (user: User): Promise<MenuOverview> => ({
    business: await ports.accounts.findBusiness(user.businessId),
    expiring: await expiringSoonFor(ports)(user),
    changes: await ports.changes.listForUser(user.id, RECENT_CHANGES),
    notices: await ports.notices.listForUser(user.id),
  })

/** The user's recent changes, for the menu's own refresh of their GEPS state. */
export const recentChanges =
  (ports: Pick<MenuPorts, 'changes'>) =>
  (userId: string): Promise<UserChange[]> =>
    ports.changes.listForUser(userId, RECENT_CHANGES)

/** One notice or recommendation of the user's own, marked read as it is opened; undefined if none. */
export const openNotice =
  (ports: Pick<MenuPorts, 'notices' | 'clock'>) =>
  async (cmd: { userId: string; noticeId: string }): Promise<Notice | undefined> => {
    if (!isId(cmd.noticeId)) return undefined
    const notice = (await ports.notices.listForUser(cmd.userId)).find((n) => n.id === cmd.noticeId)
    if (notice) await ports.notices.markRead(cmd.userId, notice.id, ports.clock.now())
    return notice
  }
