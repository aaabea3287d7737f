/** Save a chart as a PNG (issue #19 "Habits"): twice the pixels, the panel's background, named with the chart and Seoul time. */
import type { RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { ECharts } from 'echarts/core';
import { exportFileName, saveFile } from '../lib/download';
import '../app/habits.css';

export function ChartPngButton({ chart, name, testId }: { chart: RefObject<ECharts | null>; name: string; testId?: string }) {
  const { t } = useTranslation('habits');
  const save = () => {
    const c = chart.current;
    if (!c) return;
    const el = c.getDom();
    const bg = getComputedStyle(el).backgroundColor;
    const backgroundColor = bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent' ? bg : '#ffffff';
    saveFile(c.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor }), exportFileName(name, 'png'));
  };
  return (
    <button type="button" className="btn habit-btn" onClick={save} title={t('png.title', { name })} data-testid={testId}>
      {t('png.save')}
    </button>
  );
}
