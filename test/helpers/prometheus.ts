// A strict reader of the Prometheus text exposition format 0.0.4, written from the format's description and
// owing nothing to prom-client, for tests that scrape /metrics. (npm's one parser, parse-prometheus-text-format,
// merges the series of a labelled histogram into one and drops their _sum and _count.)

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface Sample { name: string, labels: Record<string, string>, value: number }

export interface Family { name: string, help: string | null, type: MetricType, samples: Sample[] }

export interface HistogramSeries { buckets: Array<[le: number, count: number]>, sum: number, count: number }

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*/
// As Go's strconv.ParseFloat, which Prometheus reads values with: Inf and NaN in any case (prom-client writes "Nan").
const float = /^[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

function parseValue (text: string, line: string): number {
  if (!float.test(text)) throw new Error(`not a number: "${text}" in: ${line}`)
  if (/nan/i.test(text)) return NaN
  return /inf/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text)
}

/** `{a="x",b="y\"z"}` at the start of `rest`: the labels and what follows. */
function parseLabels (rest: string, line: string): { labels: Record<string, string>, rest: string } {
  const labels: Record<string, string> = {}
  let i = 1
  for (;;) {
    while (rest[i] === ' ') i++
    if (rest[i] === '}') return { labels, rest: rest.slice(i + 1) }
    const name = labelName.exec(rest.slice(i))?.[0]
    if (name === undefined || rest[i + name.length] !== '=' || rest[i + name.length + 1] !== '"') throw new Error(`bad label at ${i}: ${line}`)
    if (name in labels) throw new Error(`label ${name} twice: ${line}`)
    i += name.length + 2
    let value = ''
    for (; rest[i] !== '"'; i++) {
      if (i >= rest.length || rest[i] === '\n') throw new Error(`unterminated label value: ${line}`)
      if (rest[i] !== '\\') { value += rest[i]; continue }
      const next = rest[++i]
      if (next === 'n') value += '\n'
      else if (next === '\\' || next === '"') value += next
      else throw new Error(`bad escape \\${next ?? ''}: ${line}`)
    }
    labels[name] = value
    i++
    while (rest[i] === ' ') i++
    if (rest[i] === ',') i++
    else if (rest[i] !== '}') throw new Error(`expected , or } at ${i}: ${line}`)
  }
}

function parseSample (line: string): Sample {
  const name = metricName.exec(line)?.[0]
  if (name === undefined) throw new Error(`no metric name: ${line}`)
  let rest = line.slice(name.length)
  let labels: Record<string, string> = {}
  if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line))
  const fields = rest.trim().split(/[ \t]+/)
  if (!/^[ \t]/.test(rest) || fields.length < 1 || fields.length > 2) throw new Error(`expected a value and an optional timestamp: ${line}`)
  if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`bad timestamp: ${line}`)
  return { name, labels, value: parseValue(fields[0]!, line) }
}

/** The family a sample belongs to: a histogram's or summary's _bucket, _sum and _count go to their base name. */
function familyOf (sample: string, typed: Map<string, MetricType>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue
    const base = sample.slice(0, -suffix.length)
    const type = typed.get(base)
    if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return base
  }
  return sample
}

/** The families by name, in the order given; throws on anything the format does not allow. */
export function parseMetrics (text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the text does not end with a line feed')
  const families = new Map<string, Family>()
  const typed = new Map<string, MetricType>()
  let current: Family | null = null
  const family = (name: string): Family => {
    if (current?.name === name) return current
    if (families.has(name)) throw new Error(`the lines of ${name} are not together`)
    current = { name, help: null, type: typed.get(name) ?? 'untyped', samples: [] }
    families.set(name, current)
    return current
  }
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line)
    if (meta !== null) {
      const [, keyword, name, rest = ''] = meta as unknown as [string, 'HELP' | 'TYPE', string, string | undefined]
      if (!metricName.test(name) || metricName.exec(name)![0] !== name) throw new Error(`bad metric name: ${line}`)
      const f = family(name)
      if (keyword === 'HELP') {
        if (f.help !== null) throw new Error(`second HELP for ${name}`)
        f.help = rest.replace(/\\(n|\\)/g, (_m, c: string) => c === 'n' ? '\n' : '\\')
      } else {
        if (!types.has(rest) || typed.has(name) || f.samples.length > 0) throw new Error(`bad or late TYPE: ${line}`)
        typed.set(name, rest as MetricType)
        f.type = rest as MetricType
      }
    } else if (line.trim() !== '' && !line.startsWith('#')) {
      const sample = parseSample(line)
      family(familyOf(sample.name, typed)).samples.push(sample)
    }
  }
  return families
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k])

/** The value of the sample `name{labels}` (labels exactly these), undefined when there is none. */
export function sampleValue (families: Map<string, Family>, family: string, labels: Record<string, string> = {}, name = family): number | undefined {
  const found = families.get(family)?.samples.filter((s) => s.name === name && sameLabels(s.labels, labels)) ?? []
  if (found.length > 1) throw new Error(`${name}${JSON.stringify(labels)} appears ${found.length} times`)
  return found[0]?.value
}

/** One series of a histogram, checked: buckets in order and cumulative, +Inf equal to _count. */
export function histogramSeries (families: Map<string, Family>, name: string, labels: Record<string, string>): HistogramSeries | undefined {
  const f = families.get(name)
  if (f?.type !== 'histogram') throw new Error(`${name} is not a histogram`)
  const buckets = f.samples.filter((s) => s.name === `${name}_bucket` && sameLabels({ ...s.labels, le: '' }, { ...labels, le: '' }))
    .map((s): [number, number] => [parseValue(s.labels.le ?? '', `${name} le`), s.value])
  const sum = sampleValue(families, name, labels, `${name}_sum`)
  const count = sampleValue(families, name, labels, `${name}_count`)
  if (buckets.length === 0 && sum === undefined && count === undefined) return undefined
  if (sum === undefined || count === undefined) throw new Error(`${name}${JSON.stringify(labels)} lacks _sum or _count`)
  buckets.forEach(([le, n], i) => {
    if (i > 0 && (le <= buckets[i - 1]![0] || n < buckets[i - 1]![1])) throw new Error(`${name}${JSON.stringify(labels)}: buckets out of order or not cumulative`)
  })
  if (buckets.at(-1)?.[0] !== Infinity || buckets.at(-1)?.[1] !== count) throw new Error(`${name}${JSON.stringify(labels)}: the +Inf bucket is missing or differs from _count`)
  return { buckets, sum, count }
}
