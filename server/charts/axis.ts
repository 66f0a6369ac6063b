// What the server-rendered charts share: the count axis (whole-number ticks of a d3 linear scale, with their
// gridlines drawn by d3-shape) and coordinates rounded so the same data always writes the same SVG bytes.
import type { ScaleLinear } from 'd3-scale'
import { line } from 'd3-shape'

/** A horizontal gridline at a tick of the count axis, with its label. */
export interface Gridline { y: number, label: string, d: string }

/** The plot area inside the SVG's viewBox. */
export interface Frame { width: number, height: number, top: number, right: number, bottom: number, left: number }

const polyline = line<[number, number]>().digits(2)

export const round = (n: number): number => Math.round(n * 100) / 100

/** An SVG path through the points (d3-shape). */
export function pathThrough (points: Array<[number, number]>): string {
  return polyline(points) ?? ''
}

/** Whole-number ticks only: half an advisory means nothing. */
export function countGrid (y: ScaleLinear<number, number>, frame: Frame, ticks = 4): Gridline[] {
  return y.ticks(ticks).filter(Number.isInteger).map((v) => ({
    y: round(y(v)),
    label: String(v),
    d: pathThrough([[frame.left, y(v)], [frame.width - frame.right, y(v)]])
  }))
}

/** The x axis line along the bottom of the plot. */
export function baseline (frame: Frame): string {
  const y = frame.height - frame.bottom
  return pathThrough([[frame.left, y], [frame.width - frame.right, y]])
}
