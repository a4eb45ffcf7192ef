import { createApp } from '../web/app.ts'
import { memoryPortal } from '../tests/support/memory-portal.ts'
const portal = await memoryPortal()
const app = createApp({ ports: portal.ports, htmxScript: '', secureCookies: false })
console.log([...new Set(app.routes.filter(r => r.method !== 'ALL').map(r => `${r.method} ${r.path}`))].join('\n'))
