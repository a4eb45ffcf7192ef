/**
 * PostgreSQL cannot store the character NUL (U+0000) in jsonb or text: one in a value fails the
 * whole write. What a visitor typed (kept in a draft) or an outside service answered (kept in
 * the audit log) may hold one, so such a value is kept with U+FFFD, the replacement character,
 * in its place; every text rule of the portal refuses that character by name. The memory twins
 * do the same, so that both stores answer alike.
 */
export const storableJson = <T>(value: T): T => (hasNul(value) ? (withoutNul(value) as T) : value)

const hasNul = (value: unknown) => JSON.stringify(value)?.includes('\\u0000') ?? false

const withoutNul = (value: unknown): unknown => {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD')
  if (Array.isArray(value)) return value.map(withoutNul)
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)]))
  }
  return value
}

const isPlain = (value: object) => {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
