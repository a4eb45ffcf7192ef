/**
 * 資格情報: the business's 全省庁統一資格 (the unified qualification for bidding at every ministry).
 * A qualification is of one kind (資格の種類), at a grade (等級), for regions (競争参加地域), valid
 * for a three-fiscal-year cycle (有効期間) such as 令和7・8・9年度. One kind per cycle.
 */
import { newId } from '../lib/ids.ts'
import { err, ok, type Result } from '../lib/result.ts'
import { normaliseDigits } from './text-rules.ts'

export const QUALIFICATION_KINDS = ['物品の製造', '物品の販売', '役務の提供等', '物品の買受け'] as const
export type QualificationKind = (typeof QUALIFICATION_KINDS)[number]

export const GRADES = ['A', 'B', 'C', 'D'] as const
export type Grade = (typeof GRADES)[number]

export const REGIONS = [
  '北海道',
  '東北',
  '関東・甲信越',
  '東海・北陸',
  '近畿',
  '中国',
  '四国',
  '九州・沖縄',
] as const
export type Region = (typeof REGIONS)[number]

export type Qualification = {
  id: string
  supplierCode: string // 業者コード
  kind: QualificationKind
  grade: Grade
  regions: Region[]
  /** The cycle's first fiscal year of 令和: 7 for 令和7・8・9年度. */
  firstYear: number
}

/** The grades a kind has: 物品の買受け has no D. */
export const gradesOf = (kind: QualificationKind): readonly Grade[] =>
  kind === '物品の買受け' ? GRADES.slice(0, 3) : GRADES

/** 令和7・8・9年度 */
export const periodName = (firstYear: number): string =>
  `令和${firstYear}・${firstYear + 1}・${firstYear + 2}年度`

/** The fiscal year of 令和 a date falls in (a fiscal year starts on 1 April, Japan time). */
export const reiwaFiscalYear = (at: Date): number => {
  const japan = new Date(at.getTime() + 9 * 3600 * 1000)
  const year = japan.getUTCFullYear() - (japan.getUTCMonth() < 3 ? 1 : 0)
  return year - 2018
}

/** The first fiscal year of the cycle a date falls in: cycles begin in 令和1, 4, 7, 10 ... */
export const currentCycle = (at: Date): number => {
  const year = reiwaFiscalYear(at)
  return year - ((year - 1) % 3)
}

/**
 * The cycles a qualification may be registered for: the current one, and in the current cycle's
 * last year the next one too (its qualifications are granted then).
 */
export const registrablePeriods = (at: Date): number[] => {
  const current = currentCycle(at)
  return reiwaFiscalYear(at) === current + 2 ? [current, current + 3] : [current]
}

/** A qualification whose kind the list already has for its cycle, if any: one kind per cycle. */
export const findClash = (list: Qualification[]): Qualification | undefined =>
  list.find(
    (q, i) => list.findIndex((other) => other.kind === q.kind && other.firstYear === q.firstYear) !== i,
  )

export const clashMessage = (q: Pick<Qualification, 'kind' | 'firstYear'>): string =>
  `${periodName(q.firstYear)}の「${q.kind}」はすでに資格情報にあります。同じ種類の資格は、有効期間ごとに1つだけ登録できます。`

export type QualificationInput = {
  supplierCode: string
  kind: string
  grade: string
  regions: string[]
  firstYear: string
}

export type QualificationFieldErrors = Partial<Record<keyof QualificationInput, string>>

/** Checks one qualification as typed on 資格情報選択; every refusal names its field. */
export const validateQualification = (
  input: QualificationInput,
  at: Date,
): Result<Omit<Qualification, 'id'>, QualificationFieldErrors> => {
  const errors: QualificationFieldErrors = {}
  const supplierCode = normaliseDigits(input.supplierCode)
  if (supplierCode === '') errors.supplierCode = '業者コードを入力してください。'
  else if (!/^\d{1,10}$/.test(supplierCode)) {
    errors.supplierCode = '業者コードは資格審査結果通知書に記載の数字（10桁以内）で入力してください。'
  }
  const kind = QUALIFICATION_KINDS.find((k) => k === input.kind)
  if (!kind) errors.kind = '資格の種類を選択してください。'
  const grade = GRADES.find((g) => g === input.grade)
  if (!grade) errors.grade = '等級を選択してください。'
  else if (kind && !gradesOf(kind).includes(grade)) {
    errors.grade = `${kind}の等級はA、B、Cのいずれかです（Dはありません）。`
  }
  const regions = REGIONS.filter((r) => input.regions.includes(r))
  if (regions.length === 0) errors.regions = '競争参加地域を1つ以上選択してください。'
  else if (input.regions.some((r) => !(REGIONS as readonly string[]).includes(r))) {
    errors.regions = '競争参加地域は一覧から選択してください。'
  }
  const firstYear = Number(input.firstYear)
  const periods = registrablePeriods(at)
  if (input.firstYear === '') errors.firstYear = '有効期間を選択してください。'
  else if (!periods.includes(firstYear)) {
    errors.firstYear = `有効期間は${periods.map(periodName).join('または')}から選択してください。`
  }
  if (Object.keys(errors).length > 0 || !kind || !grade) return err(errors)
  return ok({ supplierCode, kind, grade, regions, firstYear })
}

/** The list as it will be after the staged additions and removals. */
export const applyStaged = (
  registered: Qualification[],
  staged: { added: Qualification[]; removed: string[] },
): Qualification[] => [...registered.filter((q) => !staged.removed.includes(q.id)), ...staged.added]

/**
 * Stages an addition, unless the list would then hold the same kind twice for one cycle.
 * Returns the new staging.
 */
export const stageAddition = (
  registered: Qualification[],
  staged: { added: Qualification[]; removed: string[] },
  qualification: Omit<Qualification, 'id'>,
): Result<{ added: Qualification[]; removed: string[] }, QualificationFieldErrors> => {
  const clash = applyStaged(registered, staged).find(
    (q) => q.kind === qualification.kind && q.firstYear === qualification.firstYear,
  )
  if (clash) return err({ kind: clashMessage(qualification) })
  return ok({ ...staged, added: [...staged.added, { ...qualification, id: newId() }] })
}

/** Stages a removal: of a registered qualification, or of an addition not yet registered. */
export const stageRemoval = (
  staged: { added: Qualification[]; removed: string[] },
  qualificationId: string,
): { added: Qualification[]; removed: string[] } =>
  staged.added.some((q) => q.id === qualificationId)
    ? { ...staged, added: staged.added.filter((q) => q.id !== qualificationId) }
    : { ...staged, removed: [...new Set([...staged.removed, qualificationId])] }
