// @vitest-environment jsdom
import { act, cleanup, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../main/api/events';
import { mountScreen, stubBridge } from '../testing/screen';
import { BackgroundWork } from './BackgroundWork';

describe('BackgroundWork (top bar)', () => {
  afterEach(() => cleanup());

  it('shows a running demo backfill from jobs.list, follows its progress in Korean, and goes away when it completes', async () => {
    const running: JobProgress = { jobId: 'b1', kind: 'demo.backfill', progress: 0.25, state: 'running', message: 'job.demoBackfill {"i":8,"n":33}' };
    const b = stubBridge((name) => (name === 'jobs.list' ? { ok: true, value: [running, { jobId: 'c1', kind: 'cylinders.sync', progress: 0.5, state: 'running' }] } : { ok: false, error: { kind: 'internal', message: name } }));
    mountScreen(<BackgroundWork />, 'worker', 'ko');
    const box = await screen.findByTestId('background-work');
    // the resync shows itself on the cylinders screen: only the backfill here
    expect(box.querySelectorAll('.background-job')).toHaveLength(1);
    expect(box.textContent).toContain('이전 데모 텔레메트리: 33일 중 8일');
    expect((box.querySelector('progress') as HTMLProgressElement).value).toBe(0.25);
    act(() => b.push('job.progress', { ...running, progress: 0.5, message: 'job.demoBackfill {"i":17,"n":33}' }));
    await waitFor(() => expect(screen.getByTestId('background-work').textContent).toContain('33일 중 17일'));
    act(() => b.push('job.progress', { jobId: 'b1', kind: 'demo.backfill', progress: 1, state: 'completed' }));
    await waitFor(() => expect(screen.queryByTestId('background-work')).toBeNull());
  });
});
