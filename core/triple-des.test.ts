import { createCipheriv } from 'node:crypto'
import { expect, it } from 'vitest'
import { desEncryptBlock, tripleDesCbcDecrypt } from './triple-des.ts'

const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => Number.parseInt(h, 16))

it('passes the classic DES known-answer test', () => {
  expect(desEncryptBlock(hex('133457799BBCDFF1'), hex('0123456789ABCDEF'))).toEqual(hex('85E813540F0AB405'))
})

it('decrypts what OpenSSL’s des-ede3-cbc encrypted, and refuses it under another key', () => {
  const key = hex('0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123')
  const iv = hex('1122334455667788')
  const plain = new TextEncoder().encode('調達ポータル 3DES — a message of some length, not a block multiple')
  const cipher = createCipheriv('des-ede3-cbc', key, iv)
  const encrypted = new Uint8Array(Buffer.concat([cipher.update(plain), cipher.final()]))
  expect(tripleDesCbcDecrypt(key, iv, encrypted)).toEqual(plain)
  const otherKey = Uint8Array.from(key, (b, i) => (i === 0 ? b ^ 0x80 : b))
  expect(tripleDesCbcDecrypt(otherKey, iv, encrypted)).toBeUndefined() // its padding does not check out
})
