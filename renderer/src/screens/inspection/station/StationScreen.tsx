/**
 * The station (worker): pick the product, capture (file open, drag-and-drop, camera with Space or the big
 * button, the watched folder's line), a queue when pictures arrive faster than they are inspected, then the
 * result (ResultView) with the action and feedback forms. Everything is reachable by keyboard; kiosk mode hides
 * the navigation and enlarges the controls.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { call, CallError, onEvent } from '../../../api/client';
import { useCall } from '../../../api/hooks';
import { Empty, ErrorState, Loading, refusalReason, useReasonText } from '../../../app/ui';
import { hasRole, useSession } from '../../../stores/session';
import type { ProductRow } from '../../../../../main/api/types';
import type { Artifacts, InspectOutcome } from '../../../../../main/inspection/types';
import { useConnection } from '../../../stores/connection';
import { dataUrlBytes, ProductSelect, VerdictBadge } from '../common';
import { fmtMs } from '../logic';
import { ResultView } from '../result/ResultView';
import { useInspectionPrefs } from '../store';
import { Camera } from './Camera';
import { PendingResult } from './PendingResult';
import { useShortcut, type ShortcutId } from '../../../app/shortcuts';
import { ShortcutKeys } from '../../../app/ShortcutHelp';
import { WatchStatus } from './WatchStatus';

interface QueueItem {
  key: number;
  name: string;
  dataUrl: string;
  source: 'upload' | 'camera';
  productId: number;
  state: 'waiting' | 'running' | 'done' | 'error';
  inspectionId?: number | null;
  code?: string | null;
  /** the answer (kept while it waits to be uploaded: the screen shows it from here) */
  outcome?: InspectOutcome;
  defect?: boolean;
  ms?: number;
  /** main's message when it was refused (English, with the particulars) */
  error?: string;
  /** the case main named (details.reason), said in the operator's language on screen */
  errorReason?: string;
}

const ACCEPT = /^image\/(png|jpeg|webp|tiff)$/;
let nextKey = 1;

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('read failed'));
    r.readAsDataURL(file);
  });
}

export function StationScreen() {
  const { t } = useTranslation('inspection');
  const reasonText = useReasonText();
  const canInspect = useSession(hasRole('worker'));
  const prefs = useInspectionPrefs();
  const products = useCall('inspection.products.list', {});
  const [queue, setQueue] = useState<QueueItem[]>([]);
  const [shownKey, setShownKey] = useState<number | null>(null);
  const [followed, setFollowed] = useState<number | null>(null);
  const [drag, setDrag] = useState(false);
  const [cameraOn, setCameraOn] = useState(false);
  const fileInput = useRef<HTMLInputElement | null>(null);
  const running = useRef(false);
  const storedLate = useRef(new Map<string, { inspectionId: number; inspectionCode: string }>());
  // the verdict comes first: its pictures follow (inspection.drawn), possibly before the answer is read here
  const drawnLate = useRef(new Map<string, Artifacts>());
  const qc = useQueryClient();

  const list: ProductRow[] = useMemo(() => products.data ?? [], [products.data]);
  const product = list.find((p) => p.productId === prefs.productId) ?? list.find((p) => p.bank) ?? list[0] ?? null;

  const enqueue = useCallback(
    (items: { name: string; dataUrl: string; source: 'upload' | 'camera' }[]) => {
      if (!product || !items.length) return;
      setQueue((q) => [...q.slice(-49), ...items.map((x) => ({ ...x, key: nextKey++, productId: product.productId, state: 'waiting' as const }))]);
    },
    [product],
  );

  const addFiles = useCallback(
    async (files: FileList | File[]) => {
      const ok = [...files].filter((f) => ACCEPT.test(f.type) || /\.(png|jpe?g|webp|tiff?)$/i.test(f.name));
      const items = await Promise.all(ok.map(async (f) => ({ name: f.name, dataUrl: await readAsDataUrl(f), source: 'upload' as const })));
      enqueue(items);
    },
    [enqueue],
  );

  // the queue: one inspection at a time, in arrival order
  useEffect(() => {
    if (running.current) return;
    const next = queue.find((x) => x.state === 'waiting');
    if (!next) return;
    running.current = true;
    setQueue((q) => q.map((x) => (x.key === next.key ? { ...x, state: 'running' } : x)));
    const t0 = performance.now();
    call('inspection.inspect', { productId: next.productId, image: { bytes: dataUrlBytes(next.dataUrl), fileName: next.name }, source: next.source })
      .then((r) => {
        const ms = performance.now() - t0;
        // its code may have arrived (inspection.stored) between the answer and now
        const late = storedLate.current.get(r.client_uuid);
        const drawn = drawnLate.current.get(r.client_uuid);
        if (drawn) r = { ...r, artifacts: drawn };
        setQueue((q) =>
          q.map((x) => (x.key === next.key ? { ...x, state: 'done', inspectionId: r.inspectionId ?? late?.inspectionId, code: r.inspection_code ?? late?.inspectionCode, outcome: r, defect: r.defect_detected, ms, dataUrl: '' } : x)),
        );
        setShownKey(next.key);
        void qc.invalidateQueries({ queryKey: ['inspection.inspections.list'] });
      })
      .catch((e: CallError | Error) => {
        const reason = refusalReason(e) ?? undefined;
        setQueue((q) => q.map((x) => (x.key === next.key ? { ...x, state: 'error', error: e.message, errorReason: reason, dataUrl: '' } : x)));
      })
      .finally(() => {
        running.current = false;
        // let the effect see the new state
        setQueue((q) => [...q]);
      });
  }, [queue, qc]);

  // a journaled result reached the database: it gets its id and code (and the full result view)
  useEffect(
    () =>
      onEvent('inspection.stored', (e) => {
        storedLate.current.set(e.clientUuid, e);
        if (storedLate.current.size > 100) storedLate.current.delete(storedLate.current.keys().next().value!);
        setQueue((q) => (q.some((x) => x.outcome?.client_uuid === e.clientUuid) ? q.map((x) => (x.outcome?.client_uuid === e.clientUuid ? { ...x, inspectionId: e.inspectionId, code: e.inspectionCode } : x)) : q));
        void qc.invalidateQueries({ queryKey: ['inspection.inspections.list'] });
      }),
    [qc],
  );

  useEffect(
    () =>
      onEvent('inspection.drawn', (e) => {
        drawnLate.current.set(e.clientUuid, e.artifacts);
        if (drawnLate.current.size > 100) drawnLate.current.delete(drawnLate.current.keys().next().value!);
        setQueue((q) => (q.some((x) => x.outcome?.client_uuid === e.clientUuid) ? q.map((x) => (x.outcome?.client_uuid === e.clientUuid ? { ...x, outcome: { ...x.outcome!, artifacts: e.artifacts } } : x)) : q));
      }),
    [],
  );

  // the outbox's depth now (the connection indicator follows its events from here on)
  const setOutbox = useConnection((s) => s.setOutbox);
  useEffect(() => {
    call('inspection.outbox.get', {}).then(
      (o) => setOutbox(o.depth),
      () => undefined,
    );
  }, [setOutbox]);

  // the watched line: show each new inspection of this product when following
  useEffect(
    () =>
      onEvent('inspection.completed', (e) => {
        const p = useInspectionPrefs.getState();
        if (p.followLine && e.source === 'watch' && product && e.productCode === product.productCode) {
          setFollowed(e.inspectionId);
          setShownKey(null);
        }
      }),
    [product],
  );

  // O opens a file, K toggles the camera (app/shortcuts: the physical key, so the Korean IME does not matter)
  useShortcut('station.open', () => fileInput.current?.click(), { enabled: canInspect });
  useShortcut('station.camera', () => setCameraOn((v) => !v), { enabled: canInspect });

  const shown = shownKey != null ? queue.find((x) => x.key === shownKey) : null;
  const shownId = shown?.inspectionId ?? (shownKey == null ? followed : null);
  const waiting = queue.filter((x) => x.state === 'waiting' || x.state === 'running').length;

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDrag(false);
    if (canInspect && e.dataTransfer.files.length) void addFiles(e.dataTransfer.files);
  };

  if (products.isPending) return <Loading />;
  if (products.error) return <ErrorState error={products.error} onRetry={() => void products.refetch()} />;
  if (!list.length) return <Empty>{t('noProducts')}</Empty>;

  return (
    <div
      className={`insp-station${drag ? ' insp-dragging' : ''}`}
      onDragOver={(e) => {
        if (!canInspect) return;
        e.preventDefault();
        setDrag(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDrag(false);
      }}
      onDrop={onDrop}
      data-testid="station"
    >
      <aside className="insp-capture">
        <div className="card stack">
          <ProductSelect products={list} value={product?.productId ?? null} onChange={(id) => prefs.set({ productId: id })} big />
          {product && !product.bank && (
            <p className="badge badge-stale" role="status">
              {t('noBank')}
            </p>
          )}
          {canInspect ? (
            <>
              <input
                ref={fileInput}
                type="file"
                accept="image/png,image/jpeg,image/webp,image/tiff"
                multiple
                className="sr-only"
                tabIndex={-1}
                onChange={(e) => {
                  if (e.target.files) void addFiles(e.target.files);
                  e.target.value = '';
                }}
                data-testid="file-input"
              />
              <div
                className={`insp-drop${drag ? ' on' : ''}`}
                role="button"
                tabIndex={0}
                onClick={() => fileInput.current?.click()}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    fileInput.current?.click();
                  }
                }}
                data-testid="drop-zone"
                aria-label={t('capture.open')}
              >
                <strong>{t('capture.open')}</strong> <ShortcutKeys id="station.open" />
                <span className="muted small">{t('capture.drop')}</span>
              </div>
              <button type="button" className={`btn btn-big${cameraOn ? ' btn-primary' : ''}`} aria-pressed={cameraOn} onClick={() => setCameraOn((v) => !v)} data-testid="camera-toggle">
                ◉ {cameraOn ? t('camera.off') : t('camera.on')} <ShortcutKeys id="station.camera" />
              </button>
              {cameraOn && <Camera onCapture={(dataUrl) => enqueue([{ name: `camera-${new Date().toISOString().replace(/[:.]/g, '')}.png`, dataUrl, source: 'camera' }])} disabled={!product?.bank} />}
            </>
          ) : (
            <p className="badge-info" data-testid="station-readonly">
              {t('readOnly')}
            </p>
          )}
        </div>
        {queue.length > 0 && (
          <section className="card" aria-labelledby="queue-title">
            <h2 id="queue-title">
              {t('queue.title')} {waiting > 0 && <span className="badge" data-testid="queue-waiting">{t('queue.waiting', { n: waiting })}</span>}
            </h2>
            <ol className="insp-queue" data-testid="queue">
              {[...queue].reverse().map((x) => (
                <li key={x.key} className={`insp-q insp-q-${x.state}${shownKey === x.key ? ' on' : ''}`}>
                  <button type="button" className="insp-q-btn" disabled={x.state !== 'done'} onClick={() => setShownKey(x.key)} data-testid={`queue-item-${x.state}`} data-ms={x.ms != null ? Math.round(x.ms) : undefined}>
                    <span className="insp-q-state">{x.state === 'done' ? <VerdictBadge defect={x.defect ?? null} /> : t(`queue.states.${x.state}`)}</span>
                    <span className="insp-q-name">{x.code ?? (x.outcome ? t('pending.id', { id: x.outcome.client_uuid.slice(0, 8) }) : x.name)}</span>
                    {x.state === 'done' && !x.code && x.outcome && (
                      <span className="badge badge-stale small" data-testid="queue-pending">
                        {t('pending.badge')}
                      </span>
                    )}
                    <span className="muted small">{x.ms != null ? fmtMs(x.ms) : x.source === 'camera' ? t('source.camera') : ''}</span>
                  </button>
                  {x.error && (
                    <div className="form-error small" role="alert" data-testid="queue-error">
                      {reasonText(x.errorReason) ? (
                        <>
                          {reasonText(x.errorReason)}
                          <div className="muted mono small">{x.error}</div>
                        </>
                      ) : (
                        x.error
                      )}
                    </div>
                  )}
                </li>
              ))}
            </ol>
          </section>
        )}
        <WatchStatus productCode={product?.productCode ?? null} />
        <KeyHints />
      </aside>
      <section className="insp-main" aria-label={t('result')} aria-live="polite">
        {shownId ? (
          <ResultView key={shownId} inspectionId={shownId} latencyMs={shown?.ms ?? null} />
        ) : shown?.outcome ? (
          <PendingResult outcome={shown.outcome} latencyMs={shown.ms ?? null} />
        ) : queue.some((x) => x.state === 'running') ? (
          <Loading label={t('inspecting')} />
        ) : (
          <div className="insp-placeholder">
            <p>{canInspect ? t('placeholder') : t('placeholderViewer')}</p>
          </div>
        )}
      </section>
    </div>
  );
}

/** The station's and the result view's keys, as the ? overlay names them (app/shortcuts.ts), with short words. */
const KEY_HINTS: [ShortcutId[], string][] = [
  [['station.open'], 'open'],
  [['station.camera'], 'camera'],
  [['station.capture'], 'capture'],
  [['result.heatmap'], 'heatmap'],
  [['result.mask'], 'mask'],
  [['result.reference'], 'reference'],
  [['result.thresholdDown', 'result.thresholdUp'], 'threshold'],
];

function KeyHints() {
  const { t } = useTranslation('inspection');
  return (
    <p className="muted small insp-keys" data-testid="key-hints">
      {t('keyHints.label')}:{' '}
      {KEY_HINTS.map(([ids, word], i) => (
        <span key={word}>
          {i > 0 && ' · '}
          {ids.map((id) => (
            <ShortcutKeys key={id} id={id} />
          ))}{' '}
          {t(`keyHints.${word}`)}
        </span>
      ))}
    </p>
  );
}
