/** Small shared pieces of the inspection workbench: stored images, product picker, verdict and status badges. */
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useQueryClient } from '@tanstack/react-query';
import { fileUrl, onEvent } from '../../api/client';
import { usePrefs } from '../../stores/prefs';
import type { ActionStatus, ProductRow } from '../../../../main/api/types';

/**
 * A stored image or artifact (path relative to the image store) as a URL the <img> loads as bytes: the host's
 * /api/file/… in a browser, linedeck://file/… in Electron (no base64 through the API). The browser loads it, so
 * there is nothing to wait for here; a missing file is the <img>'s own error.
 */
export function useStoredImage(path: string | null | undefined): { url: string | null; error: Error | null; loading: boolean } {
  const url = useMemo(() => (path ? fileUrl(path) : null), [path]);
  return { url, error: null, loading: false };
}

/** The bytes of a data: URL (a camera capture, a dropped file's preview), to upload as bytes rather than base64. */
export function dataUrlBytes(dataUrl: string): Uint8Array<ArrayBuffer> {
  const b64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Waits for the Korean font's glyphs of `text` (the font is split into unicode-range subsets that the page loads
 * when HTML uses them; a chart's canvas does not ask for them). Returns a value that changes once they are in.
 */
export function useFontGlyphs(text: string): string {
  const [ready, setReady] = useState('');
  useEffect(() => {
    if (!text || typeof document === 'undefined' || !document.fonts?.load) return;
    let alive = true;
    Promise.all([document.fonts.load(`12px "Noto Sans KR"`, text), document.fonts.load(`bold 12px "Noto Sans KR"`, text)])
      .catch(() => undefined)
      .then(() => alive && setReady(text));
    return () => {
      alive = false;
    };
  }, [text]);
  return ready;
}

export function useDark(): boolean {
  return usePrefs((s) => s.theme) === 'dark';
}

/** Inspections finishing anywhere (station, watch folder, another screen) refresh history, overview and pending. */
export function useInspectionLive(): void {
  const qc = useQueryClient();
  useEffect(
    () =>
      onEvent('inspection.completed', () => {
        void qc.invalidateQueries({
          predicate: (q) => typeof q.queryKey[0] === 'string' && /^inspection\.(inspections\.list|dashboard\.|actions\.pending|inspectors\.list)/.test(q.queryKey[0]),
        });
      }),
    [qc],
  );
}

export function ProductSelect({
  products,
  value,
  onChange,
  allowAll,
  testId = 'product-select',
  big,
}: {
  products: ProductRow[];
  value: number | null;
  onChange: (id: number | null) => void;
  allowAll?: boolean;
  testId?: string;
  big?: boolean;
}) {
  const { t } = useTranslation('inspection');
  return (
    <label className={`inline-field${big ? ' insp-big-select' : ''}`}>
      {t('product')}
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value ? Number(e.target.value) : null)} data-testid={testId}>
        {allowAll && <option value="">{t('allProducts')}</option>}
        {products.map((p) => (
          <option key={p.productId} value={p.productId}>
            {p.productCode} · {p.productName}
          </option>
        ))}
      </select>
    </label>
  );
}

export function VerdictBadge({ defect, big }: { defect: boolean | null; big?: boolean }) {
  const { t } = useTranslation('inspection');
  if (defect == null) return <span className="badge">—</span>;
  return (
    <span className={`insp-verdict ${defect ? 'insp-ng' : 'insp-ok'}${big ? ' insp-verdict-big' : ''}`} data-testid={big ? 'verdict' : undefined} data-verdict={defect ? 'NG' : 'OK'}>
      {defect ? 'NG' : 'OK'}
      {big && <span className="insp-verdict-sub">{defect ? t('verdict.ng') : t('verdict.ok')}</span>}
    </span>
  );
}

export function ActionStatusBadge({ status }: { status: ActionStatus }) {
  const { t } = useTranslation('inspection');
  return <span className={`badge insp-status-${status}`}>{t(`actionStatus.${status}`)}</span>;
}

export function SeverityBadge({ level }: { level: number | null | undefined }) {
  const { t } = useTranslation('inspection');
  if (level == null) return <span className="muted">—</span>;
  return (
    <span className={`badge insp-sev insp-sev-${level}`} title={t(`severity.${level}`)}>
      {level} · {t(`severity.${level}`)}
    </span>
  );
}
