/** The stylesheet. Plain CSS, readable at 200% zoom, no web fonts. */
export const APP_CSS = `
:root { --ink: #1a1a1a; --muted: #555; --line: #b5b5b5; --accent: #0b5394; --error: #b00020; --ok: #1b6e20; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, "Hiragino Sans", "Noto Sans JP", sans-serif; color: var(--ink); line-height: 1.7; }
.site-header, .site-footer { display: flex; gap: 1rem; align-items: center; padding: .75rem 1.5rem; background: #f2f4f7; }
.site-header .site-name { font-weight: bold; color: var(--ink); text-decoration: none; margin-right: auto; }
.site-header form { margin: 0; }
.site-footer { margin-top: 3rem; font-size: .9rem; }
main { max-width: 52rem; padding: 1rem 1.5rem; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
a { color: var(--accent); }
.field { margin: 1rem 0; }
.field label, fieldset legend { display: block; font-weight: bold; }
.field input { display: block; width: 100%; max-width: 30rem; padding: .4rem; font-size: 1rem; border: 1px solid var(--ink); }
.field-invalid input { border: 2px solid var(--error); }
.required { display: inline-block; margin-left: .5rem; padding: 0 .4rem; font-size: .8rem; color: #fff; background: var(--error); border-radius: 3px; }
.field label { display: inline-block; }
.qualifier { font-weight: normal; color: var(--muted); font-size: .9rem; }
.hint { color: var(--muted); margin: 0; font-size: .9rem; }
.field-error { color: var(--error); font-weight: bold; margin: .25rem 0; }
.error-summary { border: 3px solid var(--error); padding: .5rem 1rem; margin: 1rem 0; }
.error-summary h2 { margin-top: .5rem; color: var(--error); }
.notice { border-left: 6px solid var(--accent); padding: .25rem 1rem; background: #eef3fa; }
.warning { border: 3px solid var(--error); padding: .5rem 1rem; margin: 1rem 0; }
.warning strong { color: var(--error); }
button.button-danger { background: var(--error); border-color: var(--error); }
.notice-success { border-left: 6px solid var(--ok); padding: .5rem 1rem; background: #eef7ee; font-weight: bold; }
fieldset { border: 1px solid var(--line); padding: .5rem 1rem; }
.choice { margin: .25rem 0; }
fieldset .choice { display: inline-block; margin-right: 1rem; }
.field select { padding: .4rem; font-size: 1rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.staged { font-weight: bold; color: var(--accent); }
button.button-small { padding: .2rem .8rem; font-size: .9rem; }
.tries { color: var(--muted); font-weight: normal; }
button, .button-secondary { font-size: 1rem; padding: .5rem 1.5rem; border-radius: 4px; cursor: pointer; }
button { background: var(--accent); color: #fff; border: 2px solid var(--accent); }
.site-header button { padding: .25rem .75rem; }
.button-secondary { display: inline-block; border: 2px solid var(--accent); color: var(--accent); background: #fff; text-decoration: none; }
.actions { display: flex; gap: 1rem; align-items: center; margin-top: 2rem; }
.actions form { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
caption { text-align: left; font-weight: bold; }
td.serial { font-family: ui-monospace, monospace; font-size: .85rem; word-break: break-all; }
th, td { border: 1px solid var(--line); padding: .4rem .6rem; text-align: left; vertical-align: top; }
tr.changed td:last-child { font-weight: bold; background: #fff8d6; }
.badge { display: inline-block; margin-left: .5rem; padding: 0 .4rem; font-size: .8rem; background: #7a5c00; color: #fff; border-radius: 3px; }
dl.read-only, .sync-status dl, .mail dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: bold; }
dd { margin: 0; }
.sync-status { border: 1px solid var(--line); padding: 0 1rem 1rem; margin: 1.5rem 0; }
.sync-done { color: var(--ok); font-weight: bold; }
.sync-failed { color: var(--error); font-weight: bold; }
.mail { border-top: 1px solid var(--line); }
.mail pre { white-space: pre-wrap; background: #f7f7f7; padding: .5rem; }
ul.menu { list-style: none; padding: 0; }
ul.menu li { margin: 1rem 0; }
ol.steps { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; padding: 0; margin: 0 0 1.5rem; list-style: none; counter-reset: step; }
ol.steps li { counter-increment: step; color: var(--muted); }
ol.steps li::before { content: counter(step) ". "; }
ol.steps li.done { color: inherit; }
ol.steps li[aria-current="step"] { font-weight: bold; color: inherit; border-bottom: 3px solid currentColor; }
`
