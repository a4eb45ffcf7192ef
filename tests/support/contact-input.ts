import type { UserInput } from '../../core/domain/account-rules.ts'

/** An agent's input screen as a user fills it in: valid values, the e-mail typed twice. */
export const contactInput = (overrides: UserInput = {}): UserInput => {
  const email = overrides.email ?? 'hanako.new@sample-shoji.example.jp'
  return {
    title: '部長',
    postalCode: '１００－０００１',
    address: '東京都千代田区千代田1-1',
    phone: '03-1111-2222',
    fax: '',
    email,
    emailConfirmation: email,
    ...overrides,
  }
}
