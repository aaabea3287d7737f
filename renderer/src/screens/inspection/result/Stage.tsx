/** The result view's picture: the original with the heatmap overlay, the live mask at the threshold and the region boxes. */
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { InspectionDetail } from '../../../../../main/api/types';
import { useStoredImage } from '../common';
import { fmtPct, paintHeat, paintMaskOutline, regionBox } from '../logic';
import { useInspectionPrefs } from '../store';

/** Decodes the 8-bit anomaly map into RGBA pixels once per map. */
function useMapPixels(url: string | null): { pixels: Uint8ClampedArray; width: number; height: number } | null {
  const [px, setPx] = useState<{ url: string; pixels: Uint8ClampedArray; width: number; height: number } | null>(null);
  useEffect(() => {
    if (!url) return;
    let alive = true;
    const img = new Image();
    // read back through a canvas: Electron's linedeck:// pictures are another origin than the page (CORS, no taint)
    img.crossOrigin = 'anonymous';
    img.src = url;
    img
      .decode()
      .then(() => {
        if (!alive) return;
        const c = document.createElement('canvas');
        c.width = img.naturalWidth;
        c.height = img.naturalHeight;
        const ctx = c.getContext('2d', { willReadFrequently: true });
        if (!ctx) return;
        ctx.drawImage(img, 0, 0);
        setPx({ url, pixels: ctx.getImageData(0, 0, c.width, c.height).data, width: c.width, height: c.height });
      })
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [url]);
  return px && px.url === url ? px : null;
}

export interface ViewControls {
  threshold: number;
  hover: number | null;
  setHover: (i: number | null) => void;
}

export function Stage({ d, controls, testImageSize }: { d: InspectionDetail; controls: ViewControls; testImageSize: { width: number; height: number } }) {
  const { t } = useTranslation('inspection');
  const prefs = useInspectionPrefs();
  const r = d.result!;
  const original = useStoredImage(r.artifacts.original || null);
  const hasMap = Boolean(r.artifacts.anomalyMap);
  // inspections from before the map was kept show their stored heatmap and mask images instead
  const heat = useStoredImage(hasMap ? null : r.artifacts.heatmap);
  const staticMask = useStoredImage(hasMap ? null : r.artifacts.mask);
  const map = useStoredImage(r.artifacts.anomalyMap);
  const px = useMapPixels(map.url);
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const heatCanvas = useRef<HTMLCanvasElement | null>(null);
  const [maskPixels, setMaskPixels] = useState<number | null>(null);

  // the mask at the slider's threshold, redrawn on every move (a 512 px map takes well under a frame)
  useEffect(() => {
    const c = canvas.current;
    if (!c || !px) return;
    c.width = px.width;
    c.height = px.height;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const out = ctx.createImageData(px.width, px.height);
    const n = paintMaskOutline(px.pixels, out.data, px.width, controls.threshold);
    ctx.putImageData(out, 0, 0);
    setMaskPixels(n);
  }, [px, controls.threshold]);

  // the heatmap overlay: turbo colours from the same map, alpha rising with the score, times the opacity
  useEffect(() => {
    const c = heatCanvas.current;
    if (!c || !px) return;
    c.width = px.width;
    c.height = px.height;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const out = ctx.createImageData(px.width, px.height);
    paintHeat(px.pixels, out.data, prefs.overlayOpacity);
    ctx.putImageData(out, 0, 0);
  }, [px, prefs.overlayOpacity]);

  const { width: W, height: H } = testImageSize;
  const total = px ? px.width * px.height : 0;
  return (
    <div className="insp-stage-wrap">
      <div className="insp-stage" style={{ aspectRatio: `${W} / ${H}`, width: `min(100%, calc(56vh * ${(W / H).toFixed(4)}))` }} data-testid="stage">
        {original.url ? <img className="insp-layer" src={original.url} alt={t('view.original')} data-testid="original-image" /> : <div className="insp-layer insp-layer-wait" />}
        {hasMap ? (
          <canvas
            ref={heatCanvas}
            className="insp-layer"
            style={{ display: prefs.showOverlay && px ? 'block' : 'none' }}
            data-testid="heatmap-overlay"
            data-opacity={prefs.overlayOpacity}
            role="img"
            aria-label={t('view.heatmap')}
          />
        ) : (
          prefs.showOverlay && heat.url && <img className="insp-layer" src={heat.url} alt={t('view.heatmap')} style={{ opacity: prefs.overlayOpacity }} data-testid="heatmap-overlay" />
        )}
        <canvas
          ref={canvas}
          className="insp-layer insp-mask"
          style={{ display: prefs.showMask && px ? 'block' : 'none' }}
          data-testid="mask-canvas"
          data-mask-pixels={maskPixels ?? ''}
          data-threshold={controls.threshold.toFixed(2)}
          aria-label={t('view.mask')}
          role="img"
        />
        {prefs.showMask && staticMask.url && <img className="insp-layer insp-mask" src={staticMask.url} alt={t('view.mask')} />}
        {r.regions.map((g, i) => (
          <div
            key={i}
            className={`insp-box${controls.hover === i ? ' insp-box-hot' : ''}`}
            style={regionBox(g, W, H)}
            onMouseEnter={() => controls.setHover(i)}
            onMouseLeave={() => controls.setHover(null)}
            data-testid={`region-box-${i}`}
          >
            <span className="insp-box-label">{i + 1}</span>
          </div>
        ))}
      </div>
      <div className="muted small" data-testid="mask-stats">
        {px
          ? t('view.maskStats', { n: maskPixels ?? 0, pct: total ? fmtPct((maskPixels ?? 0) / total) : '—', th: controls.threshold.toFixed(2) })
          : r.artifacts.anomalyMap
            ? t('common.loading', { ns: 'common' })
            : t('view.noMap')}
      </div>
    </div>
  );
}
