/**
 * Certificate files as tools write them, made by the `openssl` command itself from a demo card's
 * certificate and key: the formats users bring (OpenSSL 3's default, OpenSSL's -legacy, 3DES,
 * with the chain, without a MAC, with a Japanese password or friendly name). Under CI=true a
 * missing openssl is a failure; elsewhere the caller skips, saying so.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toBase64 } from '../../core/lib/base64.ts'
import { inCi } from './database.ts'

export const opensslAvailable = (): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    if (inCi) throw new Error('CI=true and the openssl command is missing: the file-format tests must run')
    return false
  }
}

const pem = (label: string, der: Uint8Array) =>
  `-----BEGIN ${label}-----\n${toBase64(der).replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`

export type OpensslFormat = { name: string; args: string[]; password: string }

/** What users bring, and how openssl writes each. */
export const OPENSSL_FORMATS: OpensslFormat[] = [
  { name: 'OpenSSL 3 default (AES-256-CBC, PBKDF2, MAC SHA-256)', args: [], password: 'file-pass-2026' },
  {
    name: 'OpenSSL -legacy (certificate RC2-40, key 3DES, MAC SHA-1)',
    args: ['-legacy'],
    password: 'file-pass-2026',
  },
  {
    name: '3DES for both bags (older Windows and Java)',
    args: ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'],
    password: 'file-pass-2026',
  },
  {
    name: 'RC2-128 for the certificate',
    args: ['-legacy', '-certpbe', 'PBE-SHA1-RC2-128'],
    password: 'file-pass-2026',
  },
  { name: 'with the CA chain in the file', args: ['-certfile', 'ca.pem'], password: 'file-pass-2026' },
  { name: 'a Japanese password', args: [], password: '入札用パスワード２０２６' },
  { name: 'a Japanese password, -legacy', args: ['-legacy'], password: '入札用パスワード２０２６' },
  { name: 'without a MAC', args: ['-nomac'], password: 'file-pass-2026' },
  { name: 'a Japanese friendly name', args: ['-name', '入札 花子の電子証明書'], password: 'file-pass-2026' },
]

/** Formats the portal refuses by name: ciphers nobody should use any more. */
export const OPENSSL_REFUSED: (OpensslFormat & { algorithm: string })[] = [
  {
    name: 'RC4-128',
    args: ['-legacy', '-certpbe', 'PBE-SHA1-RC4-128', '-keypbe', 'PBE-SHA1-RC4-128'],
    password: 'file-pass-2026',
    algorithm: 'RC4-128',
  },
  {
    name: '2-key 3DES',
    args: ['-certpbe', 'PBE-SHA1-2DES', '-keypbe', 'PBE-SHA1-2DES'],
    password: 'file-pass-2026',
    algorithm: '2-key 3DES',
  },
  {
    name: 'single DES under PBES2',
    args: ['-legacy', '-certpbe', 'DES-CBC', '-keypbe', 'DES-CBC'],
    password: 'file-pass-2026',
    algorithm: 'DES-CBC',
  },
]

/** Runs `openssl pkcs12 -export` over the card's certificate and key (and the CA), in a folder of its own. */
export const opensslPkcs12 = (
  card: { certificate: Uint8Array; privateKey: Uint8Array; authority: Uint8Array },
  format: OpensslFormat,
): Uint8Array => {
  const dir = mkdtempSync(join(tmpdir(), 'openssl-p12-'))
  try {
    writeFileSync(join(dir, 'cert.pem'), pem('CERTIFICATE', card.certificate))
    writeFileSync(join(dir, 'key.pem'), pem('PRIVATE KEY', card.privateKey))
    writeFileSync(join(dir, 'ca.pem'), pem('CERTIFICATE', card.authority))
    execFileSync(
      'openssl',
      [
        'pkcs12',
        '-export',
        '-in',
        'cert.pem',
        '-inkey',
        'key.pem',
        '-out',
        'out.p12',
        '-passout',
        'env:P12_PASSWORD',
        ...format.args,
      ],
      {
        cwd: dir,
        env: { ...process.env, P12_PASSWORD: format.password },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    return new Uint8Array(readFileSync(join(dir, 'out.p12')))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Whether openssl itself reads the file with the password (the portal's writer is checked so). */
export const opensslReads = (file: Uint8Array, password: string): boolean => {
  const dir = mkdtempSync(join(tmpdir(), 'openssl-read-'))
  try {
    writeFileSync(join(dir, 'in.p12'), file)
    execFileSync('openssl', ['pkcs12', '-in', 'in.p12', '-passin', 'env:P12_PASSWORD', '-noout'], {
      cwd: dir,
      env: { ...process.env, P12_PASSWORD: password },
      stdio: 'ignore',
    })
    return true
  } catch {
    return false
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
