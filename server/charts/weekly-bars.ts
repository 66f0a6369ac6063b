// Geometry of the home page's small chart: advisories per week as stacked bars, the critical and important ones
// at the bottom of each (d3-scale for the axes, d3-shape's stack for the layers). views/partials/recent-chart.eta
// writes the SVG.
import { scaleBand, scaleLinear } from 'd3-scale'
import { stack } from 'd3-shape'
import { baseline, countGrid, round, type Frame, type Gridline } from './axis.js'
import { monthLabel } from '../stats/range.js'

export interface Week { start: string, end: string, advisories: number, urgent: number }

export interface WeekBar {
  x: number
  width: number
  /** Bottom layer first: `urgent` (critical or important), then `other`. */
  layers: Array<{ key: 'urgent' | 'other', y: number, height: number }>
  week: Week
}

export interface WeeklyChart { frame: Frame, grid: Gridline[], baseline: string, bars: WeekBar[], ticks: Array<{ x: number, label: string }> }

const frame: Frame = { width: 480, height: 130, top: 10, right: 8, bottom: 24, left: 28 }
const keys = ['urgent', 'other'] as const

export function weeklyBars (weeks: Week[]): WeeklyChart {
  const x = scaleBand<number>().domain(weeks.map((_, i) => i)).range([frame.left, frame.width - frame.right]).padding(0.2)
  const y = scaleLinear().domain([0, Math.max(1, ...weeks.map((w) => w.advisories))]).nice(3).range([frame.height - frame.bottom, frame.top])
  const layers = stack<Week, (typeof keys)[number]>().keys(keys).value((w, key) => key === 'urgent' ? w.urgent : w.advisories - w.urgent)(weeks)
  return {
    frame,
    grid: countGrid(y, frame, 3),
    baseline: baseline(frame),
    bars: weeks.map((week, i) => ({
      x: round(x(i)!),
      width: round(x.bandwidth()),
      layers: layers.map((layer) => {
        const [low, high] = layer[i]!
        return { key: layer.key, y: round(y(high)), height: round(y(low) - y(high)) }
      }).filter((l) => l.height > 0),
      week
    })),
    // Every fourth week from the newest back, so the last label is the day the summary counts to.
    ticks: weeks.flatMap((w, i) => (weeks.length - 1 - i) % 4 === 0 ? [{ x: round(x(i)! + x.bandwidth() / 2), label: dayLabel(w.end) }] : [])
  }
}

/** "2025-11-20" -> "20 Nov". */
const dayLabel = (day: string): string => `${Number(day.slice(8, 10))} ${monthLabel(day.slice(0, 7), false)}`
