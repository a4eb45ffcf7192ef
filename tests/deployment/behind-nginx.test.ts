/**
 * The deployment of docs/operations.md, run: the migrations as their own step, then two web
 * processes and two workers apart on a fresh PostgreSQL database, behind nginx (Debian's)
 * terminating TLS with the portal's own server configuration (docs/nginx/portal.conf). Through the
 * proxy Chromium completes 入札 花子's update (F1) and 更新 三郎's certificate renewal (F2), while one
 * web process is stopped in the middle. What must hold: every request answered, the `__Host-`
 * cookie, HSTS, the client's address in the audit log from the proxy's X-Forwarded-For only, the
 * proxy's request id in the log, the mails, GEPS receiving each change once, and each change's
 * sync one trace across the processes in the OTLP collector.
 */
import { expect, it } from 'vitest'
import { CERTIFICATE_RENEWED_SUBJECT, USER_UPDATED_SUBJECT } from '../../core/domain/mails.ts'
import { launchChromium, openPage } from '../support/browser.ts'
import { freePort } from '../support/card-helper-process.ts'
import { inCi } from '../support/database.ts'
import { formClient } from '../support/form-client.ts'
import { nginxAvailable, startNginx } from '../support/nginx.ts'
import { startOtlpCollector } from '../support/otlp-collector.ts'
import { startWorldOnFreshPostgres, stepsAfterAll } from '../support/portal-processes.ts'
import { runToEnd } from '../support/server-process.ts'
import { waitFor } from '../support/wait.ts'

const cleanUp = stepsAfterAll()

/** The address nginx connects to the web processes from (proxy_bind): the portal's TRUST_PROXY. */
const PROXY_ADDRESS = '127.0.0.3'
/** What a client may claim to be: never to be found in the audit log. */
const FORGED = '198.51.100.7'
const EMAIL = 'hanako.nginx@sample-shoji.example.jp'

it('serves F1 and F2 through nginx with TLS, two web processes and two workers, one web stopped mid-run', async (ctx) => {
  if (!nginxAvailable()) {
    if (inCi) throw new Error('nginx is not installed: .ci/run installs it (apt-get install nginx-light)')
    ctx.skip('nginx is not installed (apt-get install nginx-light)')
  }
  const world = await startWorldOnFreshPostgres(ctx, cleanUp)
  const collector = await startOtlpCollector()
  cleanUp(collector.close)
  const publicPort = await freePort()
  const publicUrl = `https://127.0.0.1:${publicPort}`

  // The migrations first, as a step of their own; then the processes, none of which needs to.
  const migrated = await runToEnd(process.execPath, ['jobs/ops.ts', 'migrate'], {
    DATABASE_URL: world.databaseUrl,
  })
  expect(migrated.code, migrated.output).toBe(0)
  const settings = {
    PUBLIC_URL: publicUrl,
    TRUST_PROXY: PROXY_ADDRESS,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
  }
  const web1 = await world.start({ ...settings, WORKERS: 'false', OTEL_SERVICE_NAME: 'portal-web-1' })
  const web2 = await world.start({ ...settings, WORKERS: 'false', OTEL_SERVICE_NAME: 'portal-web-2' })
  await world.start({ ...settings, WORKERS: 'true', OTEL_SERVICE_NAME: 'portal-worker-1' })
  await world.start({ ...settings, WORKERS: 'true', OTEL_SERVICE_NAME: 'portal-worker-2' })
  const hostOf = (url: string) => new URL(url).host
  const nginx = await startNginx({
    port: publicPort,
    webProcesses: [hostOf(web1.url), hostOf(web2.url)],
    proxyAddress: PROXY_ADDRESS,
  })
  cleanUp(nginx.stop)

  const browser = await launchChromium()
  cleanUp(() => browser.close())
  // The certificate was made for this test; the client claims an address of its own.
  const { context, page, scriptErrors } = await openPage(browser, true, {
    ignoreHTTPSErrors: true,
    extraHTTPHeaders: { 'X-Forwarded-For': FORGED },
  })
  cleanUp(() => context.close())
  const failedAnswers: string[] = []
  page.on('response', (r) => {
    if (r.status() >= 500) failedAnswers.push(`${r.status()} ${r.url()}`)
  })
  page.on('requestfailed', (r) => failedAnswers.push(`${r.failure()?.errorText} ${r.url()}`))

  // F1: 入札 花子 signs in and updates herself.
  const first = await page.goto(`${publicUrl}/sign-in`)
  expect(first?.headers()['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
  expect(first?.headers().server).toBe('nginx')
  // The proxy's request id reaches the portal's log and comes back.
  const requestId = first?.headers()['x-request-id'] ?? ''
  expect(requestId).toMatch(/^[0-9a-f]{32}$/)
  await page.getByLabel('入札 花子（代理人・ファイル）').check()
  await page.getByLabel('PIN', { exact: true }).fill('hanako-2026')
  await page.getByRole('button', { name: 'ログイン', exact: true }).click()
  await page.waitForURL(`${publicUrl}/menu`)
  const cookies = await context.cookies(publicUrl)
  expect(cookies.map((c) => c.name)).toContain('__Host-sid')
  expect(cookies.map((c) => c.name)).not.toContain('sid')
  expect(cookies.find((c) => c.name === '__Host-sid')).toMatchObject({
    secure: true,
    httpOnly: true,
    path: '/',
  })
  expect(`${web1.output()}${web2.output()}`).toContain(`"requestId":"${requestId}"`)

  await page.getByRole('link', { name: '利用者情報更新', exact: true }).click()
  await page.waitForURL(`${publicUrl}/user/edit`)
  await page.getByLabel('役職名').fill('部長')
  await page.getByLabel('メールアドレス', { exact: true }).fill(EMAIL)
  await page.getByLabel('メールアドレス(確認)').fill(EMAIL)
  // Both web processes have served her so far; now one of them stops (a deploy, say).
  const requestsOf = (output: string) =>
    output.split('\n').filter((l) => l.includes('"msg":"request"')).length
  expect(requestsOf(web1.output())).toBeGreaterThan(0)
  expect(requestsOf(web2.output())).toBeGreaterThan(0)
  expect(await web1.stop()).toBe(0)
  const servedBy2Before = requestsOf(web2.output())

  await page.getByRole('button', { name: '確認' }).click()
  await page.waitForURL(`${publicUrl}/user/confirm`)
  await page.getByRole('button', { name: '更新' }).click()
  await page.waitForURL(/\/user\/complete\/[0-9a-f-]{36}$/)
  await page.locator('.sync-state', { hasText: '連携完了' }).waitFor({ timeout: 30_000 })
  expect(requestsOf(web2.output())).toBeGreaterThan(servedBy2Before)

  // F2: 更新 三郎 renews his expired IC card, then signs in with the new one.
  const f2 = await openPage(browser, true, { ignoreHTTPSErrors: true })
  cleanUp(() => f2.context.close())
  const p2 = f2.page
  const answers: string[] = []
  p2.on('response', (r) => {
    answers.push(`${r.status()} ${r.request().method()} ${r.url()}`)
    if (r.status() >= 500) failedAnswers.push(`${r.status()} ${r.url()}`)
  })
  p2.on('requestfailed', (r) => answers.push(`${r.failure()?.errorText} ${r.method()} ${r.url()}`))
  // Each screen of F2 in turn. CI once saw the first card read's screen not come within the wait,
  // and a run here beside three browser suites once more (1 in 9; alone, never): that read goes
  // through none of the stores that gather (gathered-calls.ts), and its cause is not known yet.
  // A screen that does not come says where the browser was, what it was answered, and what the
  // serving process last logged.
  const screen = async (heading: string) => {
    try {
      await p2.locator('h1', { hasText: heading }).waitFor()
    } catch (e) {
      throw new Error(
        [
          `${heading} did not come: ${(e as Error).message}`,
          `at ${p2.url()}, headings ${JSON.stringify(await p2.locator('h1').allTextContents())}`,
          `answers: ${answers.slice(-8).join(' | ')}`,
          `failed: ${failedAnswers.join(' | ')}`,
          `web 2 last logged: ${web2.output().split('\n').slice(-12).join('\n')}`,
        ].join('\n'),
      )
    }
  }
  await p2.goto(`${publicUrl}/renewal`)
  await screen('更新する電子証明書の種別選択画面')
  await p2.getByLabel('更新 三郎（代理人・期限切れICカード）').check()
  await p2.getByLabel('PIN', { exact: true }).fill('5678')
  await p2.getByRole('button', { name: '読込', exact: true }).click()
  await screen('更新する電子証明書の読み込み画面')
  await p2.getByLabel('更新 三郎（新しいICカード・未登録）').check()
  await p2.getByLabel('PIN', { exact: true }).fill('5678')
  await p2.getByRole('button', { name: '読込', exact: true }).click()
  await screen('電子証明書の更新確認画面')
  await p2.getByRole('button', { name: '更新実行' }).click()
  await screen('電子証明書更新完了画面')
  await p2.getByRole('link', { name: 'ログイン画面へ' }).click()
  await p2.getByLabel('更新 三郎（新しいICカード・未登録）').check()
  await p2.getByLabel('PIN', { exact: true }).fill('5678')
  await p2.getByRole('button', { name: 'ログイン', exact: true }).click()
  await p2.waitForURL(`${publicUrl}/menu`)

  expect(failedAnswers).toEqual([])
  expect(scriptErrors).toEqual([])
  expect(f2.scriptErrors).toEqual([])

  // The mails, from the workers; GEPS took her change once.
  await world.sink.waitFor((m) => m.subject === USER_UPDATED_SUBJECT && m.to.includes(EMAIL), 30_000)
  await world.sink.waitFor(
    (m) => m.subject === CERTIFICATE_RENEWED_SUBJECT && m.to.includes('saburo@sample-shoji.example.jp'),
    30_000,
  )
  const atGeps = [...world.geps.received.values()].filter((r) => r.user.email === EMAIL)
  expect(atGeps.map((r) => r.requests)).toEqual([1])

  // The audit log has the address nginx saw (the browser's), never the one claimed, nor nginx's.
  // A request that reaches a web process past the proxy is not believed either.
  const bypass = formClient(
    (path, init) =>
      fetch(new URL(path, web2.url), {
        ...init,
        headers: { ...(init.headers as Record<string, string>), 'x-forwarded-for': '203.0.113.66' },
      }),
    publicUrl,
  )
  await bypass.get('/sign-in')
  const refused = await bypass.post('/sign-in', { cardId: 'hanako-file', pin: 'not-her-pin' })
  expect(refused.status).toBe(422)
  const audit = await world.sql<{ action: string; outcome: string; client_address: string | null }[]>`
    select action, outcome, client_address from audit_log where action = 'sign-in' order by at`
  expect(audit.filter((a) => a.outcome === 'success').map((a) => a.client_address)).toEqual([
    '127.0.0.1',
    '127.0.0.1',
  ])
  expect(audit.filter((a) => a.outcome === 'failure').map((a) => a.client_address)).toEqual(['127.0.0.1'])
  const addresses = await world.sql<{ client_address: string | null }[]>`
    select distinct client_address from audit_log`
  expect(addresses.map((a) => a.client_address)).not.toContain(FORGED)
  expect(addresses.map((a) => a.client_address)).not.toContain('203.0.113.66')
  expect(addresses.map((a) => a.client_address)).not.toContain(PROXY_ADDRESS)

  // One trace from her [更新] in a web process to GEPS's answer in a worker.
  const [change] = atGeps
  const traceId = change?.traceparent?.split('-')[1] ?? ''
  expect(traceId).toMatch(/^[0-9a-f]{32}$/)
  // Each process sends its spans in batches of its own: wait for the web's and the worker's.
  await waitFor(
    'the collector has the trace’s click and GEPS call',
    () =>
      ['POST /user/confirm', 'geps syncUserChange'].every((name) =>
        collector.spans.some((s) => s.traceId === traceId && s.name === name),
      ),
    30_000,
  )
  const trace = collector.spans.filter((s) => s.traceId === traceId)
  const click = trace.find((s) => s.name === 'POST /user/confirm')
  expect(click?.service).toBe('portal-web-2')
  expect(click?.parentSpanId).toBe('')
  const call = trace.find((s) => s.name === 'geps syncUserChange')
  expect(call?.service).toMatch(/^portal-worker-[12]$/)
  expect(trace.map((s) => s.name)).toEqual(expect.arrayContaining(['userUpdate.complete', 'job geps-sync']))
  expect(collector.refused).toEqual([])
}, 240_000)
