/**
 * nginx from Debian (`apt-get install nginx-light`; .ci/run installs it), run by a test in a folder
 * of its own: the portal's own server configuration (docs/nginx/portal.conf) filled in, inside a
 * main configuration that keeps every file in that folder. TLS with a certificate made for the
 * test by openssl.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './wait.ts'

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p))
export const nginxAvailable = (): boolean => NGINX !== undefined

const PORTAL_CONF = new URL('../../docs/nginx/portal.conf', import.meta.url)

export type Nginx = { url: string; output: () => string; stop(): Promise<void> }

export const startNginx = async (f: {
  port: number
  webProcesses: [string, string]
  proxyAddress: string
}): Promise<Nginx> => {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx-light)')
  const dir = mkdtempSync(join(tmpdir(), 'portal-nginx-'))
  // A certificate for 127.0.0.1, valid from now: made at each run, never one that expires in the repo.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '2',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'certificate.pem'),
    ],
    { stdio: 'ignore' },
  )
  const values: Record<string, string> = {
    LISTEN: `127.0.0.1:${f.port}`,
    CERTIFICATE: join(dir, 'certificate.pem'),
    KEY: join(dir, 'key.pem'),
    WEB_1: f.webProcesses[0],
    WEB_2: f.webProcesses[1],
    PROXY_ADDRESS: f.proxyAddress,
  }
  const server = readFileSync(PORTAL_CONF, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name]
    if (value === undefined)
      throw new Error(`docs/nginx/portal.conf names {{${name}}}, which the test does not fill`)
    return value
  })
  writeFileSync(join(dir, 'portal.conf'), server)
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/portal.conf;
}
`,
  )
  // As root nginx's workers run as nobody: the folder must let them in.
  execFileSync('chmod', ['755', dir])
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString()
  })
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `https://127.0.0.1:${f.port}`
  const log = () =>
    `${output}${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`
  try {
    await waitFor(
      'nginx listens',
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${log()}`)
        return existsSync(join(dir, 'nginx.pid'))
      },
      10_000,
    )
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }
  return {
    url,
    output: log,
    stop: async () => {
      // SIGQUIT: nginx's graceful stop; SIGKILL if it lingers.
      if (child.exitCode === null) child.kill('SIGQUIT')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(killer)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
