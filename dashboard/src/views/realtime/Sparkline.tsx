// A small uPlot line of events per second over the last minutes (no axes: the figure beside it
// says the value), in the theme's accent colour.
import 'uplot/dist/uPlot.min.css'
import { useEffect } from 'react'
import uPlot from 'uplot'
import { colour, useThemeVersion, useWidth } from '../metrics/Chart'

export function Sparkline({ label, time, values, height = 56 }: { label: string; time: number[]; values: number[]; height?: number }) {
  const [box, width] = useWidth()
  const theme = useThemeVersion()

  useEffect(() => {
    const el = box.current
    if (!el || width <= 0 || time.length < 2) return
    const accent = colour('--accent')
    const opts: uPlot.Options = {
      width,
      height,
      legend: { show: false },
      padding: [4, 2, 3, 2],
      cursor: { show: false },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      series: [{}, { stroke: accent, width: 1.5, fill: /^#[0-9a-f]{6}$/i.test(accent) ? `${accent}2e` : undefined, points: { show: false } }],
    }
    const plot = new uPlot(opts, [time, values], el)
    return () => plot.destroy()
  }, [time, values, width, height, theme])

  return <div ref={box} className="sparkline" role="img" aria-label={label} />
}
