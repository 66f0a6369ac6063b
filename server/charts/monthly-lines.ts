// Geometry of the statistics chart: one line per product over the months (d3-scale for the axes, d3-shape for
// the lines and the marker shapes), each product told apart by colour and by marker shape, for readers who
// cannot tell the colours apart. views/partials/stats-chart.eta writes the SVG.
import { scaleLinear, scalePoint } from 'd3-scale'
import { line, symbol, symbolsFill } from 'd3-shape'
import { baseline, countGrid, pathThrough, round, type Frame, type Gridline } from './axis.js'
import { monthLabel } from '../stats/range.js'

export interface LineSeries { id: string, name: string, values: number[] }

export interface MonthTick {
  x: number
  /** "Jun"; empty on long ranges, where only years are written. */
  month: string
  /** The year, under the first month and each January; empty elsewhere. */
  year: string
  /** Left out on narrow screens (CSS) so the labels do not run into each other. */
  minor: boolean
}

export interface PlottedSeries {
  id: string
  name: string
  /** Picks the colour (`series-N`) and the marker shape. */
  style: number
  d: string
  /** The marker's path around (0, 0): placed at each non-zero point, and shown in the legend. */
  marker: string
  points: Array<{ x: number, y: number, value: number, month: string }>
}

export interface LineChart {
  frame: Frame
  grid: Gridline[]
  baseline: string
  ticks: MonthTick[]
  series: PlottedSeries[]
  /** A short stretch of line for the legend's keys, centred on (0, 0) as the markers are. */
  legendLine: string
}

/** Colours in the stylesheet (series-0 .. series-7); shapes from d3-shape's filled symbols. */
export const seriesColours = 8

const frame: Frame = { width: 640, height: 260, top: 12, right: 12, bottom: 48, left: 44 }

export function monthlyLines (months: string[], series: LineSeries[]): LineChart {
  const x = scalePoint<string>().domain(months).range([frame.left, frame.width - frame.right]).padding(0.5)
  const max = Math.max(1, ...series.flatMap((s) => s.values))
  const y = scaleLinear().domain([0, max]).nice(4).range([frame.height - frame.bottom, frame.top])
  const path = line<number>().x((_, i) => x(months[i]!)!).y((v) => y(v)).digits(2)
  return {
    frame,
    grid: countGrid(y, frame),
    baseline: baseline(frame),
    ticks: monthTicks(months, (m) => round(x(m)!)),
    legendLine: pathThrough([[-12, 0], [12, 0]]),
    series: series.map((s, i) => ({
      id: s.id,
      name: s.name,
      style: i,
      d: path(s.values) ?? '',
      marker: symbol(symbolsFill[i % symbolsFill.length]!, 42).digits(2)() ?? '',
      points: s.values.flatMap((value, j) => value === 0 ? [] : [{ x: round(x(months[j]!)!), y: round(y(value)), value, month: months[j]! }])
    }))
  }
}

/** Every month up to two years, with every other one minor; beyond that only years, fewer as the range grows. */
function monthTicks (months: string[], at: (month: string) => number): MonthTick[] {
  if (months.length <= 24) {
    return months.map((m, i) => {
      const year = i === 0 || m.endsWith('-01') ? m.slice(0, 4) : ''
      return { x: at(m), month: monthLabel(m, false), year, minor: i % 2 === 1 && year === '' }
    })
  }
  const step = Math.ceil(months.length / 120)
  return months
    .filter((m, i) => (i === 0 || m.endsWith('-01')) && Number(m.slice(0, 4)) % step === 0)
    .map((m, i) => ({ x: at(m), month: '', year: m.slice(0, 4), minor: i % 2 === 1 }))
}
