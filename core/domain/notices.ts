/**
 * お知らせ and レコメンド: what the portal tells a user (notices) and suggests to them
 * (recommendations), each read or not. They belong to the user: deleting an agent (F4) deletes
 * them, and a later re-registration starts without them.
 */
export type Notice = {
  id: string
  userId: string
  kind: 'notice' | 'recommendation'
  title: string
  body: string
  publishedAt: Date
  readAt?: Date
}
