/**
 * The characters GEPS can store: ASCII and JIS X 0208. The repertoire is not typed in by hand:
 * the WHATWG EUC-JP decoder (in every runtime and browser) maps each two-byte code, and rows 1-8
 * (symbols, alphanumerics, kana, Greek, Cyrillic, box drawing) and 16-84 (level 1 and 2 kanji)
 * are exactly JIS X 0208's 6,879 characters. Row 13 (NEC's ①, ㈱ ...) and the IBM extensions
 * (髙, 﨑 ...) lie outside those rows and are refused.
 */

let repertoire: Set<string> | undefined

const jisX0208 = (): Set<string> => {
  if (repertoire) return repertoire
  const decoder = new TextDecoder('euc-jp')
  const set = new Set<string>()
  const rows = [
    ...Array.from({ length: 8 }, (_, i) => i + 1),
    ...Array.from({ length: 69 }, (_, i) => i + 16),
  ]
  for (const row of rows) {
    for (let cell = 1; cell <= 94; cell++) {
      const ch = decoder.decode(new Uint8Array([0xa0 + row, 0xa0 + cell]))
      if (ch !== '\ufffd') set.add(ch)
    }
  }
  repertoire = set
  return set
}

/** Whether GEPS can store the character: printable ASCII, or JIS X 0208. */
export const storable = (ch: string): boolean => {
  const code = ch.codePointAt(0) ?? 0
  return (code >= 0x20 && code <= 0x7e) || jisX0208().has(ch)
}

/**
 * The same character under the code point JIS assigns and the one the decoder (and Windows)
 * uses: typed either way, it is stored as the one in the repertoire.
 */
const SAME_CHARACTER: Record<string, string> = {
  '\u301c': '\uff5e', // 〜 WAVE DASH → ～
  '\u2212': '\uff0d', // − MINUS SIGN → －
  '\u2016': '\u2225', // ‖ DOUBLE VERTICAL LINE → ∥
  '\u2014': '\u2015', // — EM DASH → ―
  '\u00a2': '\uffe0', // ¢ → ￠
  '\u00a3': '\uffe1', // £ → ￡
  '\u00ac': '\uffe2', // ¬ → ￢
  '\u00a5': '\uffe5', // ¥ → ￥
}

/** Half-width katakana, each with its full-width form; voiced marks are joined below. */
const HALF_WIDTH_KANA = 'ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ｡｢｣､･'
const FULL_WIDTH_KANA =
  'ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン。「」、・'

/**
 * What every form does to text before judging it: half-width katakana become full-width (with
 * their voiced marks), and characters with two code points take the one GEPS stores.
 */
export const normaliseText = (value: string): string => {
  let out = ''
  for (const ch of value) {
    const kana = HALF_WIDTH_KANA.indexOf(ch)
    if (kana >= 0) out += FULL_WIDTH_KANA[kana]
    else if (ch === 'ﾞ' || ch === 'ﾟ') {
      // ﾞ and ﾟ join the kana before them (ｶﾞ → ガ, ﾊﾟ → パ); alone they become ゛ and ゜.
      const joined = `${out.slice(-1)}${ch === 'ﾞ' ? '\u3099' : '\u309a'}`.normalize('NFC')
      out = joined.length === 1 ? out.slice(0, -1) + joined : out + (ch === 'ﾞ' ? '゛' : '゜')
    } else out += SAME_CHARACTER[ch] ?? ch
  }
  return out
}

/**
 * Variant kanji (異体字) people often type, with the form GEPS stores; written as code points so
 * that no editor's normalisation can change them. (Compatibility ideographs such as 隆 U+F9DC
 * need no entry: NFKC maps them.)
 */
const USUAL_FORM: Record<string, string> = Object.fromEntries(
  [
    [0x9ad9, 0x9ad8], // 髙 → 高
    [0xfa11, 0x5d0e], // 﨑 → 崎
    [0x5fb7, 0x5fb3], // 德 → 徳
    [0x6ff5, 0x6d5c], // 濵 → 浜
    [0x20bb7, 0x5409], // 𠮷 → 吉
    [0x6801, 0x67f3], // 栁 → 柳
    [0x6852, 0x6851], // 桒 → 桑
    [0x69d7, 0x6a4b], // 槗 → 橋
    [0x7028, 0x702c], // 瀨 → 瀬
    [0x663b, 0x6602], // 昻 → 昂
    [0xfa14, 0x6b05], // 﨔 → 欅
  ].map(([from, to]) => [String.fromCodePoint(from as number), String.fromCodePoint(to as number)]),
)

/** The usual replacement for a character GEPS cannot store, where there is one (髙 → 高, ① → 1, ㈱ → (株)). */
export const usualReplacement = (ch: string): string | undefined => {
  const variant = USUAL_FORM[ch]
  if (variant && storable(variant)) return variant
  const compatible = ch.normalize('NFKC')
  if (compatible !== ch && [...compatible].every(storable)) return compatible
  return undefined
}

/** The distinct characters of a text that GEPS cannot store, in the order they appear. */
export const unstorableCharacters = (value: string): string[] => [
  ...new Set([...value].filter((ch) => !storable(ch))),
]
