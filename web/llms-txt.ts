/** /llms.txt: the service and its flows, in plain text, for software agents acting for a user. */
export const LLMS_TXT = `# 調達ポータル 利用者情報メンテナンス (procurement portal: supplier account self-service)

> Businesses that bid for Japanese government contracts keep their users, certificates and
> contact details here; every change is mirrored to GEPS (政府電子調達システム).

## How to use this site without a browser
- Every screen works as plain HTML forms (method and action on every form; no JavaScript needed).
- Ask for the simplified view (no script, no style) with \`?view=simple\` on any URL, or once with
  GET /view?mode=simple, which sets the cookie \`view=simple\` (GET /view?mode=full clears it).
- Keep cookies: the session cookie \`sid\` carries the sign-in.
- Every POST must carry the hidden field \`_csrf\` found in the form you are submitting.
- A refused form answers 422 with the same form: an error summary (id="error-summary") lists
  each refusal, and the field's message stands next to it (class="field-error").

## Flows
### Sign in (ログイン) — development virtual card reader
1. GET /sign-in. The form lists cards as radio buttons \`cardId\`.
2. POST /sign-in with \`cardId\`, \`pin\` and \`_csrf\`. Success: 303 to /menu.
   Errors: a wrong PIN says how many tries are left before the card locks.

### Update user information (利用者情報更新, F1)
1. GET /user/edit: 更新する利用者情報の入力画面. Fields: title (役職名), postalCode (郵便番号),
   address (住所), phone (電話番号), fax (FAX番号, optional), email (メールアドレス),
   emailConfirmation (メールアドレス(確認)). Button: 確認.
2. POST /user/edit: checks the input. Success: 303 to /user/confirm. Refusal: 422 with messages.
3. GET /user/confirm: 利用者情報の更新確認画面, old and new values side by side. Button: 更新
   (the form carries the hidden field draftId: post it as it is). GET /user/edit meanwhile shows
   the values being confirmed; GET /user/edit?fresh=1 the registered ones.
4. POST /user/confirm: commits once (a repeated post changes nothing twice). 303 to
   /user/complete/{changeId}: 利用者情報の更新完了画面, with the GEPS state
   (待機中 waiting / 再試行中 retrying / 連携完了 done / 連携失敗 failed).

### Sign out
POST /sign-out with \`_csrf\`.
`
