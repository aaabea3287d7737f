/**
 * Browser side of the chart bench: the Trend screen's real option builder (renderer/src/screens/telemetry/options.ts)
 * and ECharts, bundled by esbuild and run in Chromium by bench/ui/chart-bench.ts.
 */
import * as echarts from 'echarts';
import { trendOption, SERIES, type SeriesKey } from '../../renderer/src/screens/telemetry/options';

interface Row {
  bucket: string;
  avg: number;
  min: number;
  max: number;
  last: number;
  first: number;
  count: number;
}

function rows(n: number): Row[] {
  const t0 = Date.UTC(2026, 10, 1);
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    const v = 50 + 20 * Math.sin(i / 50) + 5 * Math.sin(i / 7);
    out.push({ bucket: new Date(t0 + i * 60_000).toISOString(), avg: v, min: v - 3, max: v + 3, last: v + 1, first: v - 1, count: 6 });
  }
  return out;
}

let chart: echarts.ECharts | undefined;

/**
 * Renders n buckets with every series on into the chart, as the Trend screen does when its data arrives
 * (useECharts inits the chart once; each answer is one setOption). Returns the milliseconds from building the
 * option to the next animation frame (setOption draws synchronously; the frame makes sure it is composited).
 */
async function renderOnce(n: number): Promise<number> {
  const el = document.getElementById('chart') as HTMLDivElement;
  chart ??= echarts.init(el, undefined, { renderer: 'canvas' });
  const data = rows(n);
  const visible = Object.fromEntries(SERIES.map((k) => [k, true])) as Record<SeriesKey, boolean>;
  chart.clear();
  await new Promise((r) => requestAnimationFrame(() => r(null)));
  const t0 = performance.now();
  chart.setOption(trendOption(data as never, visible), { notMerge: true });
  await new Promise((r) => requestAnimationFrame(() => r(null)));
  return performance.now() - t0;
}

(window as unknown as { chartBench: typeof renderOnce }).chartBench = renderOnce;
