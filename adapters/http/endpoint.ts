/** An outside service's endpoint under its configured base URL, keeping any path the base has (https://host/a/ + api/x = https://host/a/api/x). */
export const endpoint = (baseUrl: string, path: string): URL =>
  new URL(path.replace(/^\/+/, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)

/** A response body's JSON, or undefined when it is none: the neighbour's schema then refuses it. */
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
