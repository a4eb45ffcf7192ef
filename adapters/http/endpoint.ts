/** An outside service's endpoint under its configured base URL, keeping any path the base has (https://host/a/ + api/x = https://host/a/api/x). */
export const endpoint = (baseUrl: string, path: string): URL =>
  new URL(path.replace(/^\/+/, ''), baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)
