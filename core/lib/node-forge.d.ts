/**
 * The part of node-forge that core/lib/pkcs12.ts uses (RC2 decryption), typed here rather than by
 * @types/node-forge, which brings Node's types with it: core is checked without them.
 */
declare module 'node-forge' {
  type ByteStringBuffer = { getBytes(): string }
  type BlockCipher = {
    start(iv: ByteStringBuffer): void
    update(data: ByteStringBuffer): void
    finish(): boolean
    output: ByteStringBuffer
  }
  const forge: {
    util: {
      binary: { raw: { encode(bytes: Uint8Array): string; decode(text: string): Uint8Array } }
      createBuffer(bytes: string): ByteStringBuffer
    }
    rc2: { createDecryptionCipher(key: ByteStringBuffer, bits: number): BlockCipher }
  }
  export default forge
}
