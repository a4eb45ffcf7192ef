/** Dates as Japanese users read them, in Japan's time zone whatever the server's. */
const longDate = new Intl.DateTimeFormat('ja-JP', { dateStyle: 'long', timeZone: 'Asia/Tokyo' })
const dateTime = new Intl.DateTimeFormat('ja-JP', {
  dateStyle: 'long',
  timeStyle: 'medium',
  timeZone: 'Asia/Tokyo',
})

/** 2026年11月27日 */
export const formatDateJa = (d: Date): string => longDate.format(d)
/** 2026年11月27日 19:04:18 */
export const formatDateTimeJa = (d: Date): string => dateTime.format(d)
