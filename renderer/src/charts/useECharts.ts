/**
 * The one ECharts hook: init once per element, setOption on change, follow the element's size with a
 * ResizeObserver, dispose on unmount. Options are built by pure, tested functions next to each screen.
 */
import { useEffect, useRef } from 'react';
import type { EChartsOption as FullOption } from 'echarts';
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { AxisPointerComponent, DataZoomComponent, DatasetComponent, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import langKO from 'echarts/i18n/langKO-obj.js';
import { usePrefs } from '../stores/prefs';

// only what the screens draw (line, bar and scatter with these components): the bundle carries these, not all of
// ECharts (issue "Installable product", item 3); a chart type or component added to a screen is registered here
echarts.use([LineChart, BarChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, DatasetComponent, TitleComponent, MarkLineComponent, AxisPointerComponent, CanvasRenderer]);

// ECharts' own words (toolbox, data zoom, aria, month and weekday names) in Korean when the UI is Korean (issue #19)
echarts.registerLocale('KO', langKO as Parameters<typeof echarts.registerLocale>[1]);

export type EChartsOption = FullOption;
/** The ECharts locale for a UI language: 'KO' for Korean, ECharts' English otherwise. */
export function echartsLocale(lang: string): 'KO' | 'EN' {
  return lang === 'ko' ? 'KO' : 'EN';
}

export function useECharts(option: EChartsOption | null, opts: { theme?: 'light' | 'dark'; notMerge?: boolean; onClick?: (p: unknown) => void } = {}) {
  const ref = useRef<HTMLDivElement | null>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(opts.onClick);
  const locale = echartsLocale(usePrefs((s) => s.lang));
  useEffect(() => {
    clickRef.current = opts.onClick;
  }, [opts.onClick]);

  useEffect(() => {
    if (!ref.current) return;
    const c = echarts.init(ref.current, opts.theme === 'dark' ? 'dark' : undefined, { renderer: 'canvas', locale });
    chart.current = c;
    c.on('click', (p) => clickRef.current?.(p));
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(ref.current);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, [opts.theme, locale]);

  useEffect(() => {
    if (chart.current && option) chart.current.setOption(option, { notMerge: opts.notMerge ?? true, lazyUpdate: false });
  }, [option, opts.notMerge, opts.theme, locale]);

  return { ref, chart };
}
