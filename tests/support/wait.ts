/** Waits until `done` says so, checking every 100 ms, and fails saying what it waited for. */
export const waitFor = async (what: string, done: () => boolean | Promise<boolean>, timeoutMs: number) => {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await done()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
}
