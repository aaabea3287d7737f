/**
 * One inspection with all its artifacts: the verdict, the picture with the heatmap overlay (opacity), the mask
 * redrawn live on a canvas from the stored anomaly map at the threshold slider, the reference comparison, the
 * region list (hover highlights the region), scores, the guide (the manual's cause and action sections), then
 * the action and feedback forms. Used by the station screen and by History.
 */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall } from '../../../api/hooks';
import { useShortcut } from '../../../app/shortcuts';
import { ErrorState, Loading } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { ActionStatusBadge, SeverityBadge, VerdictBadge } from '../common';
import { defectName, fmtMs, fmtPct, fmtScore } from '../logic';
import { useInspectionPrefs } from '../store';
import { ActionPanel } from './ActionPanel';
import { Guide } from './Guide';
import { Reference } from './Reference';
import { Stage } from './Stage';
import { Toolbar } from './Toolbar';

export type { ViewControls } from './Stage';

export function ResultView({ inspectionId, latencyMs }: { inspectionId: number; latencyMs?: number | null }) {
  const { t, i18n } = useTranslation('inspection');
  const q = useCall('inspection.inspections.get', { inspectionId }, { staleTime: 30_000 });
  const prefs = useInspectionPrefs();
  const [threshold, setThreshold] = useState<{ id: number; v: number } | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const d = q.data;
  const th = threshold && threshold.id === inspectionId ? threshold.v : (d?.result?.pixelThreshold ?? 0.9);
  const setTh = (v: number) => setThreshold({ id: inspectionId, v: Math.min(1, Math.max(0.05, Math.round(v * 100) / 100)) });

  // keyboard: H overlay, M mask, R reference, [ ] threshold (app/shortcuts: the physical key, so the Korean IME
  // does not matter)
  const toggle = (k: 'showOverlay' | 'showMask' | 'showComparison') => () => {
    const p = useInspectionPrefs.getState();
    p.set({ [k]: !p[k] });
  };
  const nudge = (by: number) => () =>
    setThreshold((cur) => {
      const base = cur && cur.id === inspectionId ? cur.v : (q.data?.result?.pixelThreshold ?? 0.9);
      return { id: inspectionId, v: Math.min(1, Math.max(0.05, Math.round((base + by) * 100) / 100)) };
    });
  useShortcut('result.heatmap', toggle('showOverlay'));
  useShortcut('result.mask', toggle('showMask'));
  useShortcut('result.reference', toggle('showComparison'));
  useShortcut('result.thresholdDown', nudge(-0.01), { enabled: !!d });
  useShortcut('result.thresholdUp', nudge(0.01), { enabled: !!d });

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
            {d.picturesRemovedAt ? (
              // decisions.md, Plant rule 5: the pictures are gone, the result stays
              <p className="badge badge-stale insp-pictures-removed" role="status" data-testid="pictures-removed">
                {t('picturesRemoved', { date: fmtDateTime(d.picturesRemovedAt) })}
              </p>
            ) : (
              <>
                <Toolbar threshold={th} setThreshold={setTh} pixelThreshold={r.pixelThreshold ?? 0.9} hasMap={Boolean(r.artifacts.anomalyMap)} />
                <div className={`insp-pics${prefs.showComparison ? ' insp-pics-2' : ''}`}>
                  {prefs.showComparison && <Reference d={d} />}
                  <Stage d={d} controls={{ threshold: th, hover, setHover }} testImageSize={size} />
                </div>
              </>
            )}
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
                  {/* the type's code (data), then its full name in the operator's language only */}
                  <span translate="no">{d.defectType.defectCode}</span>
                  {fullName(d.defectType, lang) ? ` · ${fullName(d.defectType, lang)}` : ''}
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

/** a defect type's full name in the operator's language (Korean: 기공 (주조 결함); English: its English name) */
function fullName(dt: { fullNameKo?: string | null; defectNameEn?: string | null }, lang: string): string | null {
  return (lang.startsWith('ko') ? dt.fullNameKo : dt.defectNameEn) ?? null;
}
