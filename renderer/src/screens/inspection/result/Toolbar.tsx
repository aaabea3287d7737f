/** The result view's controls: layers (H, M, R), overlay opacity, the mask threshold ([ ]); keys named by app/shortcuts.ts. */
import { useTranslation } from 'react-i18next';
import { useInspectionPrefs } from '../store';
import { ShortcutKeys } from '../../../app/ShortcutHelp';

export function Toolbar({ threshold, setThreshold, pixelThreshold, hasMap }: { threshold: number; setThreshold: (v: number) => void; pixelThreshold: number; hasMap: boolean }) {
  const { t } = useTranslation('inspection');
  const prefs = useInspectionPrefs();
  return (
    <div className="insp-toolbar" role="group" aria-label={t('view.controls')}>
      <fieldset className="toggles">
        <legend className="sr-only">{t('view.layers')}</legend>
        <label className="toggle">
          <input type="checkbox" checked={prefs.showOverlay} onChange={(e) => prefs.set({ showOverlay: e.target.checked })} data-testid="toggle-overlay" />
          {t('view.overlay')} <ShortcutKeys id="result.heatmap" />
        </label>
        <label className="toggle">
          <input type="checkbox" checked={prefs.showMask} onChange={(e) => prefs.set({ showMask: e.target.checked })} data-testid="toggle-mask" />
          {t('view.mask')} <ShortcutKeys id="result.mask" />
        </label>
        <label className="toggle">
          <input type="checkbox" checked={prefs.showComparison} onChange={(e) => prefs.set({ showComparison: e.target.checked })} data-testid="toggle-comparison" />
          {t('view.comparison')} <ShortcutKeys id="result.reference" />
        </label>
      </fieldset>
      <label className="insp-slider">
        <span>
          {t('view.opacity')} <strong>{Math.round(prefs.overlayOpacity * 100)}%</strong>
        </span>
        <input type="range" min={0} max={1} step={0.05} value={prefs.overlayOpacity} onChange={(e) => prefs.set({ overlayOpacity: Number(e.target.value) })} data-testid="opacity-slider" />
      </label>
      <label className="insp-slider">
        <span>
          {t('view.threshold')} <strong data-testid="threshold-value">{threshold.toFixed(2)}</strong> <span className="muted small">({t('view.applied', { v: pixelThreshold.toFixed(2) })})</span> <ShortcutKeys id="result.thresholdDown" /> <ShortcutKeys id="result.thresholdUp" />
        </span>
        <input
          type="range"
          min={0.05}
          max={1}
          step={0.01}
          value={threshold}
          disabled={!hasMap}
          onChange={(e) => setThreshold(Number(e.target.value))}
          data-testid="threshold-slider"
          aria-describedby="threshold-help"
        />
        <span id="threshold-help" className="sr-only">
          {t('view.thresholdHelp')}
        </span>
      </label>
    </div>
  );
}
