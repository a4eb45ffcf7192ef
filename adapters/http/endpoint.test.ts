import { expect, it } from 'vitest'
import { endpoint } from './endpoint.ts'

it('keeps the path of a base URL, with or without its closing slash', () => {
  expect(endpoint('https://x.example/provider-a', '/api/v1/m').href).toBe(
    'https://x.example/provider-a/api/v1/m',
  )
  expect(endpoint('https://x.example/provider-a/', 'api/v1/m').href).toBe(
    'https://x.example/provider-a/api/v1/m',
  )
  expect(endpoint('http://127.0.0.1:3001', '/api/v1/m').href).toBe('http://127.0.0.1:3001/api/v1/m')
})
