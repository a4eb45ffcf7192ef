/** What each refusal of F1 says, on the input screen or on a page of its own. */
import type { CertificateRefusal, UserUpdateError } from '../../core/use-cases/user-update/user-update.ts'
import { type CardMessage, cardReadRefusalMessage } from '../card-read.ts'
import { html, type Page } from '../render.ts'
import { CONFIRM_TITLE, REMOVAL_READ_TITLE, theirChanges } from './views.ts'

/** What each refusal of a certificate to add means for the user. */
export const certificateRefusalMessage = (reason: CertificateRefusal): CardMessage => {
  switch (reason.kind) {
    case 'too-many-attempts':
    case 'challenge-missing':
    case 'card':
    case 'file':
    case 'certificate':
      return cardReadRefusalMessage(reason)
    case 'holder-differs':
      return {
        field: 'cardId',
        text: `この電子証明書の名義（${reason.holder}）が、利用者（${reason.user}）と異なります。ご本人の電子証明書を読み込んでください。新しい代理人の方は、利用者登録を行ってください。`,
      }
    case 'organisation-differs':
      return {
        field: 'cardId',
        text: `この電子証明書の事業者名（${reason.organisation}）が、登録されている事業者（${reason.business}）と異なります。`,
      }
    case 'already-registered':
      return {
        field: 'cardId',
        text: 'この電子証明書はすでに調達ポータルに登録されています。同じ電子証明書は二度登録できません。',
      }
    case 'my-number-certificate':
      return {
        field: 'cardId',
        text: 'マイナンバーカードの電子証明書は、ここでは追加できません。マイナンバーカードを更新したときは、ログイン画面の「電子証明書更新」から更新してください。',
      }
    case 'not-own-certificate':
      return {
        field: 'cardId',
        text: '読み込んだ電子証明書は、この利用者に登録されている電子証明書ではありません。削除する電子証明書か、ほかに登録されているご本人の電子証明書を読み込んでください。',
      }
  }
}

/** Refusals of [削除] of 電子証明書情報 that the input screen shows beside 電子証明書情報, keeping what was typed. */
export const CERTIFICATE_REMOVAL_REFUSALS: Partial<Record<UserUpdateError['kind'], string>> = {
  'last-certificate':
    '最後の電子証明書は削除できません。削除するとログインできなくなります。先に新しい電子証明書を［追加］してください。',
  'certificate-not-found':
    'この電子証明書は見つかりませんでした。すでに削除する予定になっているか、画面が古くなっています。表示されている電子証明書情報をご確認ください。',
}

/** For a My Number agent, whose certificates change with the card, through F2 only. */
export const CERTIFICATES_FORBIDDEN: Page = {
  title: '電子証明書情報は変更できません',
  status: 403,
  body: html`<p>マイナンバーカードで登録した代理人の電子証明書は、ここでは追加も削除もできません。マイナンバーカードを更新したときは、ログイン画面の「電子証明書更新」から更新してください。何も変更していません。</p>
<p><a href="/user/edit">利用者情報の入力画面へ</a></p>`,
}

export const errorPage = (error: UserUpdateError): Page => {
  switch (error.kind) {
    case 'invalid-qualification':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>${Object.values(error.errors).join(' ')}</p><p>別の画面で先に登録されたため、更新は行っていません。</p>
<p><a href="/user/edit?fresh=1">現在の登録内容で入力し直す</a></p>`,
      }
    case 'certificate-not-found':
      return {
        title: REMOVAL_READ_TITLE,
        status: 404,
        body: html`<p>この電子証明書は、あなたの電子証明書情報に見つかりませんでした。すでに削除されたか、入力画面が古くなっています。</p>
<p><a href="/user/edit">利用者情報の入力画面へ</a></p>`,
      }
    case 'last-certificate':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>この更新では電子証明書がすべて削除されるため、更新は行っていません。電子証明書が1つもないと、ログインできなくなります。</p>
<p><a href="/user/edit">入力画面に戻る</a></p>`,
      }
    case 'certificate-refused':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>${certificateRefusalMessage(error.reason).text}</p><p>更新は行っていません。</p>
<p><a href="/user/edit?fresh=1">現在の登録内容で入力し直す</a></p>`,
      }
    case 'forbidden':
      return {
        title: '変更できない項目です',
        status: 403,
        body: html`<p>送信された内容に、この利用者の権限では変更できない項目が含まれていたため、何も変更していません。</p>
<p>事業者情報と、資格情報は代表者のみが変更できます。</p><p><a href="/user/edit?fresh=1">利用者情報の入力画面へ</a></p>`,
      }
    case 'no-draft':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>確認する入力内容がありません。すでに更新が完了しているか、セッションが切り替わりました。</p>
<p><a href="/user/edit">利用者情報の入力画面へ</a></p>`,
      }
    case 'draft-replaced':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>この確認画面の後に、別の画面で入力内容が変更されました。表示していた内容とは異なるため、更新は行っていません。</p>
<p><a href="/user/confirm">最新の入力内容を確認する</a></p>`,
      }
    case 'changed-by-someone-else':
      return {
        title: CONFIRM_TITLE,
        status: 409,
        body: html`<p>入力中に、別の利用者または別の画面から、この情報が先に更新されました。上書きを避けるため、今回の更新は行っていません。</p>
${theirChanges(error.changes)}
<p>現在の登録内容から、もう一度入力してください。</p>
<p><a href="/user/edit?fresh=1">現在の登録内容で入力し直す</a></p>`,
      }
    case 'user-not-found':
      return {
        title: '利用者情報を表示できません',
        status: 404,
        body: html`<p>利用者情報が見つかりませんでした。もう一度ログインしてください。</p><p><a href="/sign-in">ログイン</a></p>`,
      }
    // The input screen shows these three beside its fields (routes.ts); a page of their own
    // is for a request that reaches them some other way.
    case 'invalid':
      return {
        title: '更新する利用者情報の入力画面',
        status: 422,
        body: html`<p>入力内容に誤りがあるため、更新できませんでした。変更は行っていません。</p>
<p><a href="/user/edit">利用者情報の入力画面で確認する</a></p>`,
      }
    case 'nothing-changed':
      return {
        title: CONFIRM_TITLE,
        status: 422,
        body: html`<p>変更された項目がありません。変更する項目を入力してください。</p><p><a href="/user/edit">利用者情報の入力画面へ</a></p>`,
      }
    case 'card-read-required':
      return {
        title: '電子証明書の削除',
        status: 409,
        body: html`<p>登録されている電子証明書を削除するには、先にカードの読み取りが必要です。</p>
<p><a href="/user/certificates/remove/${error.certificateId}">カードを読み取って削除する</a></p>`,
      }
  }
}
