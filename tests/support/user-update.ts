/** Commits a contact change through the use cases, as the three screens do: [確認], review, [更新]. */

import type { UserInput } from '../../core/domain/account-rules.ts'
import type { SessionStore } from '../../core/ports.ts'
import { startSession } from '../../core/use-cases/sign-in/sign-in.ts'
import {
  completeUserUpdate,
  prepareUserUpdate,
  reviewUserUpdate,
} from '../../core/use-cases/user-update/update.ts'
import type { UserUpdatePorts } from '../../core/use-cases/user-update/user-update.ts'

export const commitContactChange = async (
  ports: UserUpdatePorts & { sessions: SessionStore },
  userId: string,
  input: UserInput,
): Promise<string> => {
  const session = await startSession(ports)()
  const cmd = { sessionId: session.id, userId }
  const prepared = await prepareUserUpdate(ports)({ ...cmd, input: { user: input } })
  if (!prepared.ok) throw new Error(`[確認] refused: ${prepared.error.kind}`)
  const review = await reviewUserUpdate(ports)(cmd)
  if (!review.ok) throw new Error(`no confirm screen: ${review.error.kind}`)
  const done = await completeUserUpdate(ports)({ ...cmd, draftId: review.value.draftId })
  if (!done.ok) throw new Error(`[更新] refused: ${done.error.kind}`)
  return done.value.changeId
}
