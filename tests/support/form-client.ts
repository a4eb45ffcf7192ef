/**
 * A client with nothing but HTTP and a cookie jar, as a software agent or a browser without
 * JavaScript would be: it gets pages, posts forms with the page's CSRF token, and follows
 * redirects only when told.
 */
export type Fetcher = (path: string, init: RequestInit) => Promise<Response>

export const formClient = (fetcher: Fetcher, origin = 'http://localhost') => {
  const jar = new Map<string, string>()
  const remember = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const [name, ...value] = (pair ?? '').split('=')
      if (!name) continue
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name.trim())
      else jar.set(name.trim(), value.join('='))
    }
  }
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  let lastCsrf = ''

  const request = async (
    method: string,
    path: string,
    init: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { cookie: cookieHeader(), ...init.headers }
    let body: string | undefined
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers.origin ??= origin
      body = new URLSearchParams(init.form).toString()
    }
    const response = await fetcher(path, { method, headers, body, redirect: 'manual' })
    remember(response)
    const text = await response.text()
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1]
    if (token) lastCsrf = token
    return {
      status: response.status,
      headers: response.headers,
      text,
      location: response.headers.get('location') ?? undefined,
    }
  }

  return {
    get: (path: string, headers?: Record<string, string>) => request('GET', path, { headers }),
    /** Posts a form with the CSRF token of the last page that had one. */
    post: (path: string, form: Record<string, string>, headers?: Record<string, string>) =>
      request('POST', path, { form: { _csrf: lastCsrf, ...form }, headers }),
    postWithoutToken: (path: string, form: Record<string, string>) => request('POST', path, { form }),
    cookies: jar,
  }
}

/** Makes a path of a redirect's absolute or relative location. */
export const pathOf = (location: string | undefined): string =>
  location ? new URL(location, 'http://x').pathname : ''
