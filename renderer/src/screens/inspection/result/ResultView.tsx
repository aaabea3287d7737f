/**
 * One inspection with all its artifacts: the verdict, the picture with the heatmap overlay (opacity), the mask
 * redrawn live on a canvas from the stored anomaly map at the threshold slider, the reference comparison, the
 * region list (hover highlights the region), scores, the guide (the manual's cause and action sections), then
 * the action and feedback forms. Used by the station screen and by History.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { ErrorState, Field, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { hasRole, useSession } from '../../../stores/session';
import type { ActionResult, FeedbackType, InspectionDetail } from '../../../../../main/api/types';
import { ActionStatusBadge, SeverityBadge, useStoredImage, VerdictBadge } from '../common';
import { defectName, fmtMs, fmtPct, fmtScore, paintHeat, paintMaskOutline, regionBox } from '../logic';
import { useInspectionPrefs } from '../store';

/** Decodes the 8-bit anomaly map into RGBA pixels once per map. */
function useMapPixels(url: string | null): { pixels: Uint8ClampedArray; width: number; height: number } | null {
  const [px, setPx] = useState<{ url: string; pixels: Uint8ClampedArray; width: number; height: number } | null>(null);
  useEffect(() => {
    if (!url) return;
    let alive = true;
    const img = new Image();
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

function Stage({ d, controls, testImageSize }: { d: InspectionDetail; controls: ViewControls; testImageSize: { width: number; height: number } }) {
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

function Reference({ d }: { d: InspectionDetail }) {
  const { t } = useTranslation('inspection');
  const ref = useStoredImage(d.referenceImage?.filePath ?? null);
  const cmp = useStoredImage(d.referenceImage ? null : d.result?.artifacts.comparison);
  const url = ref.url ?? cmp.url;
  return (
    <figure className="insp-ref" data-testid="reference-view">
      {url ? <img src={url} alt={t('view.reference')} /> : <div className="insp-layer-wait" />}
      <figcaption className="muted small">
        {d.referenceImage ? t('view.referenceOf', { name: d.referenceImage.fileName, sim: fmtScore(d.similarityScore) }) : t('view.comparisonArtifact')}
      </figcaption>
    </figure>
  );
}

function Toolbar({ threshold, setThreshold, pixelThreshold, hasMap }: { threshold: number; setThreshold: (v: number) => void; pixelThreshold: number; hasMap: boolean }) {
  const { t } = useTranslation('inspection');
  const prefs = useInspectionPrefs();
  return (
    <div className="insp-toolbar" role="group" aria-label={t('view.controls')}>
      <fieldset className="toggles">
        <legend className="sr-only">{t('view.layers')}</legend>
        <label className="toggle">
          <input type="checkbox" checked={prefs.showOverlay} onChange={(e) => prefs.set({ showOverlay: e.target.checked })} data-testid="toggle-overlay" />
          {t('view.overlay')} <kbd>H</kbd>
        </label>
        <label className="toggle">
          <input type="checkbox" checked={prefs.showMask} onChange={(e) => prefs.set({ showMask: e.target.checked })} data-testid="toggle-mask" />
          {t('view.mask')} <kbd>M</kbd>
        </label>
        <label className="toggle">
          <input type="checkbox" checked={prefs.showComparison} onChange={(e) => prefs.set({ showComparison: e.target.checked })} data-testid="toggle-comparison" />
          {t('view.comparison')} <kbd>R</kbd>
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
          {t('view.threshold')} <strong data-testid="threshold-value">{threshold.toFixed(2)}</strong> <span className="muted small">({t('view.applied', { v: pixelThreshold.toFixed(2) })})</span> <kbd>[</kbd> <kbd>]</kbd>
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

function Guide({ d }: { d: InspectionDetail }) {
  const { t } = useTranslation('inspection');
  const { cause, action } = d.guide;
  if (!d.defectDetected) return null;
  return (
    <section className="card insp-guide" aria-labelledby="guide-title" data-testid="guide">
      <h2 id="guide-title">{t('guide.title')}</h2>
      {!cause.length && !action.length ? (
        <p className="muted">{d.defectType ? t('guide.none') : t('guide.noType')}</p>
      ) : (
        <div className="insp-guide-cols">
          <div>
            <h3>{t('guide.cause')}</h3>
            {cause.map((s) => (
              <article key={s.sectionId} className="insp-section">
                {s.sectionTitle && <h4>{s.sectionTitle}</h4>}
                <p>{s.sectionContent}</p>
              </article>
            ))}
          </div>
          <div>
            <h3>{t('guide.action')}</h3>
            {action.map((s) => (
              <article key={s.sectionId} className="insp-section">
                {s.sectionTitle && <h4>{s.sectionTitle}</h4>}
                <p>{s.sectionContent}</p>
              </article>
            ))}
          </div>
        </div>
      )}
    </section>
  );
}

const RESULTS: ActionResult[] = ['resolved', 'pending', 'failed', 'deferred'];
const FEEDBACK_TYPES: FeedbackType[] = ['guide_quality', 'detection_accuracy', 'defect_type', 'other'];

function ActionPanel({ d }: { d: InspectionDetail }) {
  const { t } = useTranslation('inspection');
  const canAct = useSession(hasRole('worker'));
  const addAction = useCallMutation('inspection.actions.create', ['inspection.inspections.get', 'inspection.inspections.list', 'inspection.actions.pending', 'inspection.dashboard.stats']);
  const addFeedback = useCallMutation('inspection.feedbacks.create', ['inspection.inspections.get', 'inspection.dashboard.stats']);
  const [result, setResult] = useState<ActionResult>('resolved');
  const [taken, setTaken] = useState('');
  const [notes, setNotes] = useState('');
  const [rating, setRating] = useState(0);
  const [fbText, setFbText] = useState('');
  const [fbType, setFbType] = useState<FeedbackType>('guide_quality');
  const [saved, setSaved] = useState<string | null>(null);

  const submitAction = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    try {
      await addAction.mutateAsync({ inspectionId: d.inspectionId, actionTaken: taken, actionResult: result, notes: notes || null });
      setTaken('');
      setNotes('');
      setSaved(t('action.saved'));
    } catch {
      /* shown below */
    }
  };
  const submitFeedback = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    try {
      await addFeedback.mutateAsync({ inspectionId: d.inspectionId, rating, feedbackText: fbText || null, feedbackType: fbType });
      setRating(0);
      setFbText('');
      setSaved(t('feedback.saved'));
    } catch {
      /* shown below */
    }
  };

  return (
    <section className="insp-act" aria-label={t('action.title')}>
      {canAct && (
        <div className="insp-act-forms">
          <form className="card" onSubmit={submitAction} aria-labelledby="action-title" data-testid="action-form">
            <h2 id="action-title">{t('action.title')}</h2>
            <fieldset className="insp-seg" aria-label={t('action.result')}>
              {RESULTS.map((r) => (
                <label key={r} className={`insp-seg-item${result === r ? ' on' : ''}`}>
                  <input type="radio" name={`action-result-${d.inspectionId}`} value={r} checked={result === r} onChange={() => setResult(r)} data-testid={`action-${r}`} />
                  {t(`action.results.${r}`)}
                </label>
              ))}
            </fieldset>
            <Field label={t('action.taken')}>
              <textarea value={taken} onChange={(e) => setTaken(e.target.value)} required maxLength={4000} data-testid="action-text" />
            </Field>
            <Field label={t('action.notes')}>
              <input value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={4000} />
            </Field>
            <button type="submit" className="btn btn-primary btn-big" disabled={addAction.isPending || !taken.trim()} data-testid="action-submit">
              {t('action.submit')}
            </button>
            <ErrorState error={addAction.error} />
          </form>
          <form className="card" onSubmit={submitFeedback} aria-labelledby="feedback-title" data-testid="feedback-form">
            <h2 id="feedback-title">{t('feedback.title')}</h2>
            <fieldset className="insp-seg insp-stars" aria-label={t('feedback.rating')}>
              {[1, 2, 3, 4, 5].map((n) => (
                <label key={n} className={`insp-seg-item${rating >= n ? ' on' : ''}`} title={t(`feedback.ratings.${n}`)}>
                  <input type="radio" name={`rating-${d.inspectionId}`} value={n} checked={rating === n} onChange={() => setRating(n)} data-testid={`rating-${n}`} />
                  {'★'} {n}
                </label>
              ))}
            </fieldset>
            <Field label={t('feedback.type')}>
              <select value={fbType} onChange={(e) => setFbType(e.target.value as FeedbackType)} data-testid="feedback-type">
                {FEEDBACK_TYPES.map((x) => (
                  <option key={x} value={x}>
                    {t(`feedback.types.${x}`)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('feedback.text')}>
              <textarea value={fbText} onChange={(e) => setFbText(e.target.value)} maxLength={4000} data-testid="feedback-text" />
            </Field>
            <button type="submit" className="btn btn-primary btn-big" disabled={addFeedback.isPending || rating < 1} data-testid="feedback-submit">
              {t('feedback.submit')}
            </button>
            <ErrorState error={addFeedback.error} />
          </form>
        </div>
      )}
      {saved && (
        <p className="insp-saved" role="status" data-testid="saved">
          ✓ {saved}
        </p>
      )}
      <div className="insp-logs">
        <section aria-labelledby="actions-log-title">
          <h3 id="actions-log-title">{t('action.log')}</h3>
          {d.actions.length === 0 ? (
            <p className="muted">{t('action.none')}</p>
          ) : (
            <ul className="insp-list" data-testid="action-log">
              {d.actions.map((a) => (
                <li key={a.actionId}>
                  <span className={`badge insp-ar-${a.actionResult}`}>{t(`action.results.${a.actionResult}`)}</span> {a.actionTaken}
                  {a.notes && <span className="muted"> — {a.notes}</span>}
                  <div className="muted small">
                    {fmtDateTime(a.actionDate)} · {a.actionBy ?? '—'}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="fb-log-title">
          <h3 id="fb-log-title">{t('feedback.log')}</h3>
          {d.feedbacks.length === 0 ? (
            <p className="muted">{t('feedback.none')}</p>
          ) : (
            <ul className="insp-list" data-testid="feedback-log">
              {d.feedbacks.map((f) => (
                <li key={f.feedbackId}>
                  {'★'.repeat(f.rating)}
                  <span className="muted">{'★'.repeat(5 - f.rating)}</span> {f.feedbackType ? t(`feedback.types.${f.feedbackType}`) : ''} {f.feedbackText}
                  <div className="muted small">
                    {fmtDateTime(f.createdAt)} · {f.user ?? '—'}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </section>
  );
}

export function ResultView({ inspectionId, latencyMs }: { inspectionId: number; latencyMs?: number | null }) {
  const { t, i18n } = useTranslation('inspection');
  const q = useCall('inspection.inspections.get', { inspectionId }, { staleTime: 30_000 });
  const prefs = useInspectionPrefs();
  const [threshold, setThreshold] = useState<{ id: number; v: number } | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const d = q.data;
  const th = threshold && threshold.id === inspectionId ? threshold.v : (d?.result?.pixelThreshold ?? 0.9);
  const setTh = (v: number) => setThreshold({ id: inspectionId, v: Math.min(1, Math.max(0.05, Math.round(v * 100) / 100)) });

  // keyboard: H overlay, M mask, R reference, [ ] threshold
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey || (el && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName)) || el?.isContentEditable) return;
      const p = useInspectionPrefs.getState();
      if (e.key === 'h' || e.key === 'H') p.set({ showOverlay: !p.showOverlay });
      else if (e.key === 'm' || e.key === 'M') p.set({ showMask: !p.showMask });
      else if (e.key === 'r' || e.key === 'R') p.set({ showComparison: !p.showComparison });
      else if (e.key === '[' || e.key === ']') setThreshold((cur) => {
        const base = cur && cur.id === inspectionId ? cur.v : (q.data?.result?.pixelThreshold ?? 0.9);
        return { id: inspectionId, v: Math.min(1, Math.max(0.05, Math.round((base + (e.key === ']' ? 0.01 : -0.01)) * 100) / 100)) };
      });
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [inspectionId, q.data]);

  if (q.isPending) return <Loading />;
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  if (!d) return null;
  const r = d.result;
  const size = { width: d.testImage?.width ?? 1, height: d.testImage?.height ?? 1 };
  const lang = i18n.language;
  return (
    <article className="insp-result-view" data-testid="result" data-inspection-id={d.inspectionId} data-inspection-code={d.inspectionCode}>
      <header className={`insp-verdict-bar ${d.defectDetected ? 'insp-verdict-bar-ng' : 'insp-verdict-bar-ok'}`}>
        <VerdictBadge defect={d.defectDetected} big />
        <div className="insp-verdict-info">
          <div className="insp-code mono" data-testid="inspection-code">
            {d.inspectionCode}
          </div>
          <div className="muted small">
            {fmtDateTime(d.inspectionDate)} · {d.productCode} · {t(`source.${d.source}`)} · {d.inspector ?? t('autoInspector')}
          </div>
        </div>
        <dl className="insp-verdict-facts">
          <div>
            <dt>{t('facts.defectType')}</dt>
            <dd data-testid="defect-type">{d.defectDetected ? defectName(d.defectType, lang) : '—'}</dd>
          </div>
          <div>
            <dt>{t('facts.severity')}</dt>
            <dd>{d.defectDetected ? <SeverityBadge level={d.defectType?.severityLevel} /> : '—'}</dd>
          </div>
          <div>
            <dt>{t('facts.anomaly')}</dt>
            <dd data-testid="anomaly-score">
              {fmtScore(r?.anomalyScore)} <span className="muted small">/ {fmtScore(r?.imageThreshold, 2)}</span>
            </dd>
          </div>
          <div>
            <dt>{t('facts.confidence')}</dt>
            <dd data-testid="confidence">{fmtPct(r?.confidenceScore)}</dd>
          </div>
          <div>
            <dt>{t('facts.similarity')}</dt>
            <dd data-testid="similarity">{fmtScore(r?.similarityScore)}</dd>
          </div>
          <div>
            <dt>{t('facts.time')}</dt>
            <dd data-testid="latency">
              {latencyMs != null ? fmtMs(latencyMs) : fmtMs(d.processingTime != null ? d.processingTime * 1000 : null)}
              {latencyMs != null && d.processingTime != null && <span className="muted small"> ({t('facts.server', { v: fmtMs(d.processingTime * 1000) })})</span>}
            </dd>
          </div>
          <div>
            <dt>{t('facts.actionStatus')}</dt>
            <dd data-testid="action-status">
              <ActionStatusBadge status={d.actionStatus} />
            </dd>
          </div>
        </dl>
      </header>
      {r ? (
        <div className="insp-view-grid">
          <div className="insp-view-main">
            <Toolbar threshold={th} setThreshold={setTh} pixelThreshold={r.pixelThreshold ?? 0.9} hasMap={Boolean(r.artifacts.anomalyMap)} />
            <div className={`insp-pics${prefs.showComparison ? ' insp-pics-2' : ''}`}>
              {prefs.showComparison && <Reference d={d} />}
              <Stage d={d} controls={{ threshold: th, hover, setHover }} testImageSize={size} />
            </div>
          </div>
          <aside className="insp-view-side">
            <section aria-labelledby="regions-title">
              <h2 id="regions-title">
                {t('regions.title')} <span className="badge">{r.regions.length}</span>
              </h2>
              {r.regions.length === 0 ? (
                <p className="muted">{t('regions.none')}</p>
              ) : (
                <ol className="insp-regions" data-testid="regions">
                  {r.regions.map((g, i) => (
                    <li key={i}>
                      <button
                        type="button"
                        className={`insp-region${hover === i ? ' insp-region-hot' : ''}`}
                        onMouseEnter={() => setHover(i)}
                        onMouseLeave={() => setHover(null)}
                        onFocus={() => setHover(i)}
                        onBlur={() => setHover(null)}
                        data-testid={`region-${i}`}
                      >
                        <span className="insp-region-n">{i + 1}</span>
                        <span>
                          {t('regions.at', { x: g.x, y: g.y, w: g.width, h: g.height })}
                          <span className="muted small"> · {t('regions.score', { v: fmtScore(g.score) })}</span>
                        </span>
                      </button>
                    </li>
                  ))}
                </ol>
              )}
            </section>
            {d.defectType && (
              <section className="insp-dtype">
                <h3>{defectName(d.defectType, lang)}</h3>
                <p className="muted small">
                  {d.defectType.defectCode} · {d.defectType.fullNameKo ?? ''} {d.defectType.defectNameEn ? `· ${d.defectType.defectNameEn}` : ''}
                </p>
              </section>
            )}
          </aside>
        </div>
      ) : (
        <p className="muted">{t('noResult')}</p>
      )}
      <Guide d={d} />
      <ActionPanel d={d} />
    </article>
  );
}
