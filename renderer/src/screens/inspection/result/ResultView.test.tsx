// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setBridge, type Bridge } from '../../../api/client';
import { initI18n } from '../../../app/i18n';
import { useSession } from '../../../stores/session';
import type { InspectionDetail } from '../../../../../main/inspection/types';
import { ResultView } from './ResultView';

const detail = (picturesRemovedAt: string | null) =>
  ({
    inspectionId: 7,
    inspectionCode: 'INS-20250101-0001',
    productId: 1,
    productCode: 'castA',
    productName: 'castA',
    inspectionDate: '2025-01-01T00:00:00.000Z',
    source: 'camera',
    inspector: null,
    status: 'completed',
    defectDetected: false,
    defectCode: null,
    defectNameKo: null,
    severityLevel: null,
    anomalyScore: 0.2,
    confidenceScore: 0.9,
    similarityScore: null,
    processingTime: 0.1,
    actionStatus: 'none',
    testImage: { imageId: 1, width: 64, height: 64, filePath: `aa/bb/${'a'.repeat(64)}.png` },
    referenceImage: null,
    deploymentId: 1,
    result: {
      resultId: 1,
      defectDetected: false,
      defectTypeId: null,
      confidenceScore: 0.9,
      anomalyScore: 0.2,
      similarityScore: null,
      imageThreshold: 0.85,
      pixelThreshold: 0.9,
      regions: [],
      artifacts: { original: `aa/bb/${'a'.repeat(64)}.png`, heatmap: null, mask: null, overlay: null, comparison: null, anomalyMap: null },
      details: {},
      guideGenerated: false,
      guideContent: null,
    },
    defectType: null,
    guide: { cause: [], action: [], other: [] },
    actions: [],
    feedbacks: [],
    picturesRemovedAt,
  }) as unknown as InspectionDetail;

function mount(d: InspectionDetail, lang: 'ko' | 'en') {
  initI18n(lang);
  useSession.setState({ status: 'authenticated', user: { userId: 1, username: 'u', fullName: null, role: 'viewer' } });
  const call = vi.fn(async (name: string) => (name === 'inspection.inspections.get' ? { ok: true, value: d } : { ok: true, value: [] }));
  setBridge({ transport: 'ipc', call, on: () => () => undefined, fileUrl: (p: string) => p } as unknown as Bridge);
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <ResultView inspectionId={7} />
    </QueryClientProvider>,
  );
}

describe('result view: pictures removed by retention', () => {
  afterEach(() => cleanup());

  it('says the pictures were removed by retention, with the date in Asia/Seoul, instead of showing them', async () => {
    mount(detail('2026-06-01T03:00:00.000Z'), 'ko');
    expect((await screen.findByTestId('pictures-removed')).textContent).toBe('보존 기간으로 사진 삭제됨 (2026-06-01 12:00:00)');
    expect(document.querySelector('.insp-pics')).toBeNull();
  });

  it('in English; an inspection with its pictures shows them', async () => {
    mount(detail('2026-06-01T03:00:00.000Z'), 'en');
    expect((await screen.findByTestId('pictures-removed')).textContent).toBe('Pictures removed by retention (2026-06-01 12:00:00)');
    cleanup();
    mount(detail(null), 'en');
    await screen.findByTestId('result');
    expect(screen.queryByTestId('pictures-removed')).toBeNull();
    expect(document.querySelector('.insp-pics')).not.toBeNull();
  });
});
