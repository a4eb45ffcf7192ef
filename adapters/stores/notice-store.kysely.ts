import type { Kysely } from 'kysely'
import type { NoticeStore } from '../../core/ports.ts'
import type { Database } from '../db/schema.ts'

export const kyselyNoticeStore = (db: Kysely<Database>): NoticeStore => ({
  listForUser: async (userId) =>
    (
      await db
        .selectFrom('notices')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('published_at', 'desc')
        .orderBy('id')
        .execute()
    ).map((r) => ({
      id: r.id,
      userId: r.user_id,
      kind: r.kind,
      title: r.title,
      body: r.body,
      publishedAt: new Date(r.published_at),
      ...(r.read_at && { readAt: new Date(r.read_at) }),
    })),
  markRead: async (userId, noticeId, at) => {
    await db
      .updateTable('notices')
      .set({ read_at: at })
      .where('id', '=', noticeId)
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .execute()
  },
  add: async (notices) => {
    if (notices.length === 0) return
    await db
      .insertInto('notices')
      .values(
        notices.map((n) => ({
          id: n.id,
          user_id: n.userId,
          kind: n.kind,
          title: n.title,
          body: n.body,
          published_at: n.publishedAt,
          read_at: n.readAt ?? null,
        })),
      )
      .execute()
  },
})
