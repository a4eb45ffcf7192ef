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
  /** The hidden fields of the last page that had any (the CSRF token, the confirm screen's draft id). */
  let hidden: Record<string, string> = {}

  type Form = Record<string, string | string[]>
  const request = async (
    method: string,
    path: string,
    init: { form?: Form; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { cookie: cookieHeader(), ...init.headers }
    let body: string | undefined
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers.origin ??= origin
      const params = new URLSearchParams()
      for (const [name, value] of Object.entries(init.form)) {
        for (const one of Array.isArray(value) ? value : [value]) params.append(name, one)
      }
      body = params.toString()
    }
    const response = await fetcher(path, { method, headers, body, redirect: 'manual' })
    remember(response)
    const text = await response.text()
    const fields = [...text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)]
    if (fields.length > 0) hidden = Object.fromEntries(fields.map((m) => [m[1], m[2]]))
    return {
      status: response.status,
      headers: response.headers,
      text,
      location: response.headers.get('location') ?? undefined,
    }
  }

  return {
    get: (path: string, headers?: Record<string, string>) => request('GET', path, { headers }),
    /** Posts a form with the hidden fields of the last page that had any, as a browser submits them. */
    post: (path: string, form: Form, headers?: Record<string, string>) =>
      request('POST', path, { form: { ...hidden, ...form }, headers }),
    hiddenFields: () => hidden,
    postWithoutToken: (path: string, form: Form) => request('POST', path, { form }),
    /** Posts a multipart form (a file upload) with the hidden fields of the last page. */
    postMultipart: async (path: string, fields: Record<string, string | File>) => {
      const body = new FormData()
      for (const [name, value] of Object.entries({ ...hidden, ...fields })) body.append(name, value)
      const response = await fetcher(path, {
        method: 'POST',
        headers: { cookie: cookieHeader(), origin },
        body,
        redirect: 'manual',
      })
      remember(response)
      const text = await response.text()
      return { status: response.status, text, location: response.headers.get('location') ?? undefined }
    },
    /** Posts JSON, as a page's script does, with the CSRF token of the last page in its header. */
    postJson: async (path: string, body: unknown) => {
      const response = await fetcher(path, {
        method: 'POST',
        headers: {
          cookie: cookieHeader(),
          origin,
          'content-type': 'application/json',
          'x-csrf-token': hidden._csrf ?? '',
        },
        body: JSON.stringify(body),
        redirect: 'manual',
      })
      remember(response)
      const text = await response.text()
      const isJson = response.headers.get('content-type')?.startsWith('application/json')
      return { status: response.status, json: (isJson ? JSON.parse(text) : {}) as Record<string, unknown> }
    },
    cookies: jar,
  }
}

/** Makes a path of a redirect's absolute or relative location. */
export const pathOf = (location: string | undefined): string =>
  location ? new URL(location, 'http://x').pathname : ''

/** Every text field of a page with its value, as a browser would send it back. */
export const textFieldsOf = (page: string): Record<string, string> =>
  Object.fromEntries(
    [
      ...page.matchAll(
        /<input id="field-[A-Za-z]+" name="([A-Za-z]+)" type="(?:text|email|tel)" value="([^"]*)"/g,
      ),
    ].map((m) => [m[1] ?? '', m[2] ?? '']),
  )
