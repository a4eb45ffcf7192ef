/**
 * 受付番号: the number a person reads out to the helpdesk. The day in Japan the change was
 * committed, and a number counted across all days, at least six digits: 20261203-000123. Unique,
 * since the count never repeats; the change's UUID stays its key inside the portal and at GEPS.
 */

const JST_OFFSET_MS = 9 * 60 * 60 * 1000

export const receiptNumberOf = (at: Date, sequence: number): string => {
  const day = new Date(at.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '')
  return `${day}-${String(sequence).padStart(6, '0')}`
}

/** What a 受付番号 looks like, as typed to a search: eight digits, a hyphen, six or more digits. */
export const RECEIPT_NUMBER_PATTERN = /^\d{8}-\d{6,}$/
