// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../../../app/i18n';
import { mountScreen, stubBridge, type CallHandler } from '../../../testing/screen';
import type { JobProgress } from '../../../../../main/api/events';
import type { Role } from '../../../../../main/api/kit';
import type { FileSpace } from '../../../../../main/files/types';
import { FilesScreen, fmtBytes } from './FilesScreen';

const SPACE: FileSpace = {
  kinds: [
    { kind: 'image', blobs: 1200, bytes: 1200 * 400_000 },
    { kind: 'reference', blobs: 30, bytes: 30 * 400_000 },
    { kind: 'artifact', blobs: 6000, bytes: 6000 * 300_000 },
    { kind: 'bank', blobs: 3, bytes: 3 * 100 * 1048576 },
    { kind: 'manual', blobs: 2, bytes: 2_000_000 },
  ],
  total: { blobs: 7235, bytes: 1200 * 400_000 + 30 * 400_000 + 6000 * 300_000 + 300 * 1048576 + 2_000_000 },
  retentionDays: 180,
  removed: { count: 0, lastAt: null },
  cache: { bytes: 512 * 1048576, files: 900, limitBytes: 4096 * 1048576 },
};

let emit: ((ev: JobProgress) => void) | null = null;
function bridge(handler: CallHandler) {
  const b = stubBridge(handler);
  emit = (ev) => b.push('job.progress', ev);
  return b.call;
}
const mount = (role: Role, lang: 'ko' | 'en' = 'ko') => mountScreen(<FilesScreen />, role, lang);

describe('Admin → Files', () => {
  afterEach(() => cleanup());

  it('shows blobs and bytes by kind in Korean and English; managers cannot change or run retention', async () => {
    bridge(() => ({ ok: true, value: SPACE }));
    mount('manager');
    const table = await screen.findByRole('table');
    expect(within(table).getByTestId('files-kind-bank').textContent).toContain('메모리 뱅크');
    expect(within(table).getByTestId('files-kind-bank').textContent).toContain('300 MiB');
    expect(within(table).getByTestId('files-total').textContent).toContain('7,235');
    expect(screen.getByTestId('files-cache').textContent).toContain('512 MiB');
    expect((screen.getByRole('spinbutton') as HTMLInputElement).value).toBe('180');
    expect((screen.getByRole('spinbutton') as HTMLInputElement).disabled).toBe(true);
    expect(screen.queryByTestId('retention-run')).toBeNull();
    expect(screen.getByTestId('files-removed').textContent).toContain('삭제된 사진이 없습니다');
    await act(() => i18n.changeLanguage('en'));
    expect(within(table).getByTestId('files-kind-artifact').textContent).toContain('Result pictures');
  });

  it('admins save the setting and run retention as a job with progress and its outcome', async () => {
    const call = bridge((name) => {
      if (name === 'files.space') return { ok: true, value: SPACE };
      if (name === 'files.retention.set') return { ok: true, value: { retentionDays: 90 } };
      if (name === 'files.retention.run') return { ok: true, value: { jobId: 'j1' } };
      return { ok: false, error: { kind: 'internal', message: name } };
    });
    mount('admin', 'en');
    const input = (await screen.findByRole('spinbutton')) as HTMLInputElement;
    fireEvent.change(input, { target: { value: '90' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(call).toHaveBeenCalledWith('files.retention.set', { retentionDays: 90 }));
    fireEvent.click(screen.getByTestId('retention-run'));
    await waitFor(() => expect(call).toHaveBeenCalledWith('files.retention.run', {}));
    await waitFor(() => expect((screen.getByTestId('retention-run') as HTMLButtonElement).disabled).toBe(true));
    act(() => emit!({ jobId: 'j1', kind: 'files.retention', progress: 1, state: 'completed', result: { files: 12, inspections: 2, bytes: 3 * 1048576, blobs: 12, cutoff: '' } }));
    expect((await screen.findByTestId('retention-result')).textContent).toBe('12 pictures of 2 inspections removed (3.0 MiB)');
  });

  it('formats bytes', () => {
    expect([fmtBytes(500), fmtBytes(2048), fmtBytes(5 * 1073741824)]).toEqual(['500 B', '2.0 KiB', '5.0 GiB']);
  });
});
