import type { SessionLimits } from '../core/use-cases/sessions/sessions.ts'
import { sessionCookieName } from './session.ts'

const inWords = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000} hours` : `${Math.round(ms / 60_000)} minutes`

/**
 * /llms.txt: the service and its flows, in plain text, for software agents acting for a user; the
 * session's cookie and limits as this portal is set up.
 */
export const llmsTxt = (settings: {
  sessionLimits: SessionLimits
  secureCookies: boolean
}) => `# 調達ポータル 利用者情報メンテナンス (procurement portal: supplier account self-service)

> Businesses that bid for Japanese government contracts keep their users, certificates and
> contact details here; every change is mirrored to GEPS (政府電子調達システム).

## How to use this site without a browser
- Every screen works as plain HTML forms (method and action on every form; no JavaScript needed).
- Ask for the simplified view (no script, no style, no htmx attributes) with \`?view=simple\` on
  any URL; it stays on for the following requests (cookie \`view=simple\`) until \`?view=full\`.
- Keep cookies: the session cookie \`${sessionCookieName(settings.secureCookies)}\` carries the sign-in. A session ends after
  ${inWords(settings.sessionLimits.idleMs)} without a request, and ${inWords(settings.sessionLimits.absoluteMs)} after sign-in.
  Sign-in and every card read in a flow (certificate add or removal, renewal, mandate,
  deletion) give the session a new id (a new cookie) and a new \`_csrf\`: take both from the
  answer and the next page.
- Post every hidden field of the form you submit, as it is: \`_csrf\` (the session's token) and
  any other (such as \`draftId\` on the confirm screen).
- Labels are exactly the field's Japanese name; \`name\` attributes are stable.
- A refused form answers 422 with the same form and what was typed: an error summary
  (id="error-summary") lists each refusal, and the field's message stands next to it
  (class="field-error", id="field-<name>-error"). The page title then starts with "エラー: ".
- Other answers: 303 to /sign-in?why=ended when the session has ended (sign in again), or to
  /sign-in?why=cookies when a form came with no session cookie (keep cookies); 403 when
  the form's \`_csrf\` is missing or stale (open the page again); 409 when the flow cannot go on
  (the page says why and links to where to continue); 413 when a request body exceeds 64 KB;
  400 when a form body cannot be read (a broken multipart): nothing changed, send it again;
  429 on sign-in or any card read (certificate add and removal, 電子証明書更新, mandate renewal,
  deletion) after too many failures from one address or with one certificate (the page says
  after how many minutes to try again); 503 when the database or an outside service (JPKI,
  a mandate provider) is away for now: try again later (a repeated post never applies twice).
  Every answer of 400 or above has a title starting "エラー: ".

## Flows
### Sign in (ログイン) — development virtual card reader
1. GET /sign-in. The form lists cards as radio buttons \`cardId\`.
2. POST /sign-in with \`cardId\`, \`pin\` and \`_csrf\` (button ログイン). Success: 303 to /menu.
   Errors: a wrong PIN says how many tries are left before the card locks.
3. Or, with a certificate file (.p12/.pfx, at most 32 KB): POST /sign-in as
   multipart/form-data with \`p12\` (the file), \`password\` and \`_csrf\` (/sign-in/file takes
   the same). The server opens the
   file, signs, and keeps neither the file nor the password. A wrong password, a damaged file and
   an unsupported cipher each have their own message.
Every screen that reads a card (sign-in, 電子証明書の種別選択画面 and 削除する電子証明書の本人確認画面
of F1, and F2) takes the card
form (\`cardId\`, \`pin\`) and the file form (\`p12\`, \`password\`) alike, at the same URL.

### Update user information (利用者情報更新, F1)
1. GET /user/edit: 更新する利用者情報の入力画面 — one form. Fields of an agent (代理人): title
   (役職名), postalCode (郵便番号), address (住所), phone (電話番号), fax (FAX番号, optional),
   email (メールアドレス), emailConfirmation (メールアドレス(確認)). The representative (代表者)
   also has nameKana (フリガナ) and department (部署名), and the business (事業者情報):
   businessName (商号又は名称), businessNameKana, representativeTitle (代表者役職),
   representativeName (代表者氏名), representativeNameKana, businessPostalCode, businessAddress
   (所在地), businessPhone, businessFax. Text must use characters GEPS can store (ASCII and
   JIS X 0208); フリガナ is katakana. An agent who sends the representative's fields gets 403.
2. POST /user/edit sends the whole form with the pressed button's \`action\`:
   - \`confirm\` (button 確認; the default): checks everything. Success: 303 to /user/confirm.
     Refusal: 422 with messages.
   - \`add-qualification\` (button 追加 of 資格情報選択, representative only): fields
     qualificationSupplierCode (業者コード, digits), qualificationKind (資格の種類: 物品の製造,
     物品の販売, 役務の提供等, 物品の買受け), qualificationGrade (等級 A-D; 物品の買受け A-C),
     qualificationRegions (競争参加地域, repeat for each), qualificationPeriod (有効期間: the
     first year of 令和, e.g. 7 for 令和7・8・9年度; the current cycle or the next). Stages it.
   - \`remove-qualification:{id}\` (button 削除 of a row of 資格情報): stages the removal.
   - \`add-certificate\` (button 追加 of 電子証明書情報): keeps what was typed and answers 303 to
     GET /user/certificates/add (電子証明書の種別選択画面): choose cardId, enter pin, button 読込
     (POST). The certificate must be valid, trusted, the user's own and registered to no one.
     Success: 303 back to /user/edit with it staged.
   - \`remove-certificate:{id}\` (button 削除 of a certificate): one staged by 追加 is withdrawn at
     once. A registered one takes a card read first: 303 to GET /user/certificates/remove/{id}
     (削除する電子証明書の本人確認画面); POST cardId + pin (or a certificate file) of a certificate
     registered to the user (the one to remove or another), button 読込. Success: 303 back to
     /user/edit with the removal staged. The last certificate cannot be removed.
   Staged changes are written only at 更新 below.
3. GET /user/confirm: 利用者情報の更新確認画面, old and new values side by side. Button: 更新
   (the form carries the hidden field draftId: post it as it is). GET /user/edit meanwhile shows
   the values being confirmed; GET /user/edit?fresh=1 the registered ones.
4. POST /user/confirm: commits once (a repeated post changes nothing twice). 303 to
   /user/complete/{changeId}: 利用者情報の更新完了画面, with the GEPS state
   (待機中 waiting / 再試行中 retrying / 連携完了 done / 連携失敗 failed).

### Renew a certificate without signing in (電子証明書更新, F2)
For a user whose registered certificate expired. Not for a new agent (that is a registration).
1. GET /renewal: 更新する電子証明書の種別選択画面. Field \`kind\`: \`private\` (民間電子証明書: IC card
   or file) or \`my-number\` (マイナンバーカード).
2. POST /renewal, button 読込:
   - private: the registered (possibly expired) certificate, as \`cardId\` + \`pin\` or as a file
     (\`p12\` + \`password\`). 303 to /renewal/new: 更新する電子証明書の読み込み画面; POST the new
     certificate the same way (valid, unregistered, same holder and business). 303 to
     /renewal/confirm.
   - my-number: the renewed My Number card (\`cardId\`), its signing PIN (\`pin\`, 6-16 of A-Z
     and 0-9) and \`consent=yes\` (the user agrees to the look-up of the old card at JPKI). The
     old certificates are found through JPKI; 303 to /renewal/confirm directly. 503 when JPKI
     cannot be reached: nothing changed, post again later.
3. GET /renewal/confirm: 電子証明書の更新確認画面 (更新元, 更新先, 事業者情報). POST it with the
   hidden \`draftId\` (button 更新実行): 303 to /renewal/complete/{changeId} with the GEPS state.

### Expired mandate (マイナンバーカード電子委任状失効画面) and its renewal (F3)
A My Number agent whose mandate is not in force is sent (303) to /mandate/expired from every
other screen until it is renewed. Before it lapses, the same screen (titled
マイナンバーカード電子委任状更新, linked from the menu) renews it early.
1. POST /mandate/expired with \`cardId\` (his My Number card) and \`pin\` (the signing PIN), button
   電子委任状更新. 303 to /mandate/renewal/request.
2. POST /mandate/renewal/request (マイナンバーカード電子委任状取得依頼画面, button 取得依頼) with
   \`providerId\` (電子委任状取扱事業者, a select), \`corporateNumber\` (法人番号 of the delegator, 13
   digits) and \`referenceNumber\` (受付番号). 303 to /mandate/renewal/confirm; 503 when the provider
   cannot be reached (post again later).
3. GET /mandate/renewal/confirm (マイナンバーカード電子委任状確認画面): 委任者情報, 受任者情報,
   代理権情報. When the mandate names another business or agent, is not in force, or lacks
   政府電子調達手続, the page lists why (id="error-summary") and has no button; go back to step 2.
   Otherwise POST it with the hidden \`draftId\` (button 電子委任状更新): 303 to
   /mandate/renewal/complete/{changeId} with the GEPS state.

### Delete the agent instead (利用者情報削除, F4; My Number agents only, others get 403)
1. GET /mandate/deletion (button 代理人情報削除 of the expired-mandate screen), then POST it with
   \`cardId\` (his My Number card) and \`pin\` (the user-authentication PIN, 4 digits). 303 to
   /mandate/deletion/confirm.
2. GET /mandate/deletion/confirm (利用者情報削除確認(代理人・マイナンバーカード)画面): 利用者基本情報,
   電子証明書情報, 電子委任状情報 of what will be deleted. The deletion cannot be undone.
3. POST it with the hidden \`draftId\` (button 削除): the user, his certificates, mandate, notices
   and every session of his are deleted. The answer sets a new session cookie (signed in as no one)
   and 303s to /user-deletion/complete/{changeId} (利用者情報削除完了(代理人・マイナンバーカード)画面)
   with the GEPS state of the deletion.

### Menu, notices and recommendations
GET /menu lists the procedures, what expires within 60 days (有効期限が近いもの), the user's latest
changes with their GEPS state (手続きの状況: 待機中 / 再試行中 / 連携完了 / 連携失敗), and the user's
お知らせ and レコメンド (unread ones marked 未読);
GET /notices/{id} shows one and marks it read.

### Change history (変更履歴, representative only)
GET /business/history: every committed change of the business, newest first, with its GEPS state.

### Sign out
POST /sign-out with \`_csrf\`.
`
