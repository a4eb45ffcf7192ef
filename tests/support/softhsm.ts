/**
 * Cards as PKCS#11 tokens of SoftHSM2, for the card helper's tests: each card's key and
 * certificate imported into a token of its own label (a My Number card as OpenSC presents it: two
 * tokens, "JPKI (User Authentication PIN)" with key and certificate 01, and "JPKI (Digital
 * Signature PIN)" with key 02 and a private certificate 02), in a private SOFTHSM2_CONF folder.
 * SoftHSM2 never locks a PIN, so the module the helper loads is pkcs11-pin-counter.c over it,
 * built here with the machine's C compiler: it counts wrong PINs per token as a card does.
 *
 * Needs Debian's softhsm2 and a C compiler; `.ci/run` installs softhsm2. Under CI=true anything missing is a failure; elsewhere the caller skips, saying so.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toBase64 } from '../../core/lib/base64.ts'
import { x509 } from '../../core/lib/x509.ts'
import { inCi } from './database.ts'

const SOFTHSM_MODULES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
]

const commandThere = (command: string, args: string[]) => {
  try {
    execFileSync(command, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** What is missing for the SoftHSM2 tests, if anything. */
const missing = (): string[] => [
  ...(SOFTHSM_MODULES.some((p) => existsSync(p)) ? [] : ['softhsm2 (libsofthsm2.so)']),
  ...(commandThere('softhsm2-util', ['--version']) ? [] : ['softhsm2-util']),
  ...(commandThere('cc', ['--version']) ? [] : ['a C compiler (cc)']),
  ...(graphenePresent() ? [] : ['graphene-pk11 (npm optional dependency; its pkcs11js did not build)']),
]

const graphenePresent = () => {
  try {
    return existsSync(join(import.meta.dirname, '../../node_modules/pkcs11js/build/Release/pkcs11.node'))
  } catch {
    return false
  }
}

/** Whether the SoftHSM2 tests can run; under CI=true, they must. */
export const softhsmAvailable = (): boolean => {
  const absent = missing()
  if (absent.length === 0) return true
  if (inCi) throw new Error(`CI=true and the card tests need: ${absent.join(', ')}`)
  console.warn(`skipping the SoftHSM2 card tests: missing ${absent.join(', ')}`)
  return false
}

export type SoftCard = {
  /** The token's label: "JPKI (User Authentication PIN)" and so on for a My Number card's two. */
  label: string
  pin: string
  certificate: Uint8Array
  /** PKCS#8. */
  privateKey: Uint8Array
  /** CKA_ID, in hex: 01 and 02 for a My Number card's two. */
  id: string
  /** Readable only after the PIN (a My Number card's signing certificate). */
  certificateIsPrivate?: boolean
}

export type SoftTokens = {
  /** The module to load: the PIN counter over SoftHSM2. */
  modulePath: string
  /** Set in the environment of whatever loads the module (this process: already set). */
  env: Record<string, string>
  close(): void
}

/** Writes each certificate into its token: argv[1] the module, argv[2] the certificates (JSON). */
const WRITE_CERTIFICATES = `
const graphene = require('graphene-pk11')
const [path, json] = process.argv.slice(1)
const module = graphene.Module.load(path, 'SoftHSM')
module.initialize()
try {
  const slots = module.getSlots(true)
  for (const c of JSON.parse(json)) {
    let slot
    for (let i = 0; i < slots.length; i++) if (slots.items(i).getToken().label.trim() === c.label) slot = slots.items(i)
    const session = slot.open(graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION)
    session.login(c.pin)
    session.create({
      class: graphene.ObjectClass.CERTIFICATE,
      certType: graphene.CertificateType.X_509,
      token: true,
      private: c.private,
      id: Buffer.from(c.id, 'hex'),
      label: c.label,
      subject: Buffer.from(c.subject, 'base64'),
      value: Buffer.from(c.value, 'base64'),
    })
    session.logout()
    session.close()
  }
} finally {
  module.finalize()
}
`

const pem = (label: string, der: Uint8Array) =>
  `-----BEGIN ${label}-----\n${toBase64(der).replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`

/**
 * SoftHSM2 tokens holding `cards`, and the environment that reaches them; this process's
 * environment is set too, for a module loaded here. `tries`: the PIN tries of an IC card's token.
 */
export const softTokens = (cards: SoftCard[], options: { tries?: number } = {}): SoftTokens => {
  const dir = mkdtempSync(join(tmpdir(), 'softhsm-'))
  const tokens = join(dir, 'tokens')
  const counts = join(dir, 'pin-counts')
  mkdirSync(tokens)
  mkdirSync(counts)
  writeFileSync(
    join(dir, 'softhsm2.conf'),
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  )
  const softhsm = SOFTHSM_MODULES.find((p) => existsSync(p)) ?? SOFTHSM_MODULES[0]
  const env = {
    SOFTHSM2_CONF: join(dir, 'softhsm2.conf'),
    PIN_COUNTER_MODULE: softhsm ?? '',
    PIN_COUNTER_DIR: counts,
    PIN_COUNTER_TRIES: String(options.tries ?? 5),
  }
  Object.assign(process.env, env)
  const run = (command: string, args: string[]) =>
    execFileSync(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })

  const modulePath = join(dir, 'libpincounter.so')
  run('cc', [
    '-shared',
    '-fPIC',
    '-O2',
    '-I',
    join(import.meta.dirname, '../../node_modules/pkcs11js/includes'),
    '-o',
    modulePath,
    join(import.meta.dirname, 'pkcs11-pin-counter.c'),
  ])
  for (const [i, card] of cards.entries()) {
    run('softhsm2-util', [
      '--init-token',
      '--free',
      '--label',
      card.label,
      '--so-pin',
      'so-pin-1234',
      '--pin',
      card.pin,
    ])
    const key = join(dir, `key-${i}.pem`)
    const cert = join(dir, `cert-${i}.der`)
    writeFileSync(key, pem('PRIVATE KEY', card.privateKey))
    writeFileSync(cert, card.certificate)
    run('softhsm2-util', [
      '--import',
      key,
      '--token',
      card.label,
      '--label',
      card.label,
      '--id',
      card.id,
      '--pin',
      card.pin,
    ])
    rmSync(key)
  }
  // The certificates, through PKCS#11 itself (pkcs11-tool 0.23 cannot make one private), in a
  // process of their own: this one loads the module afresh for the test.
  const certificates = cards.map((card) => ({
    label: card.label,
    pin: card.pin,
    id: card.id,
    value: toBase64(card.certificate),
    subject: toBase64(
      new Uint8Array(new x509.X509Certificate(new Uint8Array(card.certificate)).subjectName.toArrayBuffer()),
    ),
    private: card.certificateIsPrivate === true,
  }))
  execFileSync(process.execPath, ['-e', WRITE_CERTIFICATES, softhsm ?? '', JSON.stringify(certificates)], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return { modulePath, env, close: () => rmSync(dir, { recursive: true, force: true }) }
}
