/** 入札 花子 at a portal that runs as its own process: signs in with her file and updates her title (F1). */
import { formClient, pathOf } from './form-client.ts'

export const HANAKO_EMAIL = 'hanako@sample-shoji.example.jp'

export const hanakoOverHttp = (portalUrl: string) => {
  const c = formClient((path, init) => fetch(new URL(path, portalUrl), init), portalUrl)
  const fields = {
    postalCode: '100-0001',
    address: '東京都千代田区千代田1-1',
    phone: '03-1111-2222',
    fax: '',
  }
  let signedIn = false
  return {
    client: c,
    /** One F1 update of her title, from sign-in if need be; the change's id. */
    updateTitle: async (title: string): Promise<string> => {
      if (!signedIn) {
        await c.get('/sign-in')
        const signIn = await c.post('/sign-in', { cardId: 'hanako-file', pin: 'hanako-2026' })
        if (signIn.status !== 303) throw new Error(`sign-in answered ${signIn.status}`)
        signedIn = true
      }
      await c.get('/user/edit')
      const edit = await c.post('/user/edit', {
        ...fields,
        title,
        email: HANAKO_EMAIL,
        emailConfirmation: HANAKO_EMAIL,
      })
      if (edit.status !== 303) throw new Error(`[確認] answered ${edit.status}`)
      await c.get('/user/confirm')
      const done = await c.post('/user/confirm', {})
      if (done.status !== 303) throw new Error(`[更新] answered ${done.status}`)
      return pathOf(done.location).split('/').at(-1) ?? ''
    },
  }
}
