// One uPlot chart, sized to its container and coloured from the theme's CSS variables (drawn
// again when the theme changes). uPlot draws on a canvas and sets element styles through the
// DOM (never inline <style> or style attributes in markup), so the strict CSP holds.
import { useEffect, useRef, useState, type RefObject } from 'react'
import uPlot from 'uplot'

export interface ChartSeries {
  label: string
  /** A CSS variable name (`--accent`) or a colour. */
  colour: string
  values: (number | null)[]
  /** Drawn dashed (a second measure on the same axis). */
  dashed?: boolean
  /** Joins the points across minutes without a value (latency: none without requests). */
  spanGaps?: boolean
}

/** Changes when the theme (chosen or the system's) changes, so colours are read again (the Realtime view's sparkline uses it too). */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0)
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1)
    const observer = new MutationObserver(bump)
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
    const media = window.matchMedia?.('(prefers-color-scheme: dark)')
    media?.addEventListener('change', bump)
    return () => {
      observer.disconnect()
      media?.removeEventListener('change', bump)
    }
  }, [])
  return version
}

/** A box to draw in and its width in pixels, followed as it resizes (0 until laid out). */
export function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const box = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(0)
  useEffect(() => {
    const el = box.current
    if (!el) return
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])
  return [box, width]
}

export function colour(value: string): string {
  if (!value.startsWith('--')) return value
  return getComputedStyle(document.documentElement).getPropertyValue(value).trim() || '#888'
}

export function Chart({
  title,
  time,
  series,
  unit,
  height = 180,
}: {
  title: string
  time: number[]
  series: ChartSeries[]
  unit: string
  height?: number
}) {
  const [box, width] = useWidth()
  const theme = useThemeVersion()

  useEffect(() => {
    const el = box.current
    if (!el || width <= 0) return
    const muted = colour('--muted')
    const grid = colour('--border')
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } }
    const opts: uPlot.Options = {
      width,
      height,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [axis, { ...axis, size: 56, values: (_u, ticks) => ticks.map((v) => `${+v.toPrecision(3)}${unit}`) }],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: colour(s.colour),
          width: 1.5,
          dash: s.dashed ? [6, 4] : undefined,
          spanGaps: s.spanGaps ?? false,
          // Points on a series with gaps when its values are few: a lone minute with traffic
          // has no line to draw. (Counts have zeros between, so always a line.)
          points: { show: !!s.spanGaps && s.values.filter((v) => v !== null).length * 8 < width, size: 5 },
        })),
      ],
    }
    const plot = new uPlot(opts, [time, ...series.map((s) => s.values)] as uPlot.AlignedData, el)
    return () => plot.destroy()
    // Series are compared by their values: a new array of the same data redraws (cheap).
  }, [time, series, unit, height, width, theme])

  return (
    <figure className="metrics-chart">
      <figcaption>{title}</figcaption>
      <div ref={box} className="metrics-chart-canvas" role="img" aria-label={title} />
    </figure>
  )
}
