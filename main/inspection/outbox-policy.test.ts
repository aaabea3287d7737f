/**
 * The outbox's retry policy (review of the store-and-forward change): only a definite refusal is ever set aside; a
 * timeout, a failover or a migration not yet applied is retried for as long as it takes; a lock left by the previous
 * process under the same pid does not stop forwarding; an unreadable-for-now entry waits in its place.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/kit';
import { isDefiniteRefusal, isUnavailable } from '../db/pools';
import { until } from '../testing/wait';
import { Outbox, MAX_ATTEMPTS } from './outbox';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ld-outbox-policy-'));

describe('outbox policy', () => {
  it('classifies network outages as unavailable and only data or domain refusals as definite', () => {
    for (const code of ['ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ECONNREFUSED', '08006', '57P01'])
      expect(isUnavailable(Object.assign(new Error('x'), { code })), code).toBe(true);
    expect(isUnavailable(Object.assign(new Error('all addresses'), { errors: [Object.assign(new Error('a'), { code: 'ENETUNREACH' })] }))).toBe(true);
    expect(isUnavailable(new Error('Query read timeout'))).toBe(true);
    for (const code of ['57014', '25006', '40001', '40P01', '53100', '42703']) expect(isDefiniteRefusal(Object.assign(new Error('x'), { code })), code).toBe(false);
    for (const code of ['23505', '23503', '22P02']) expect(isDefiniteRefusal(Object.assign(new Error('x'), { code })), code).toBe(true);
    expect(isDefiniteRefusal(new ApiError('validation', 'bad'))).toBe(true);
    expect(isDefiniteRefusal(new ApiError('unavailable', 'away'))).toBe(false);
  });

  it('retries a passing failure past MAX_ATTEMPTS without setting it aside, then writes it', async () => {
    const box = new Outbox(tmp());
    let calls = 0;
    box.handle('k', async () => {
      calls++;
      if (calls <= MAX_ATTEMPTS + 1) throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
      return 'ok';
    });
    // short back-offs for the test: the policy, not the timing, is under test
    (box as unknown as { backOff: () => void }).backOff = function (this: { schedule: (ms: number) => void }) {
      this.schedule(20);
    };
    box.start();
    await box.append('k', crypto.randomUUID(), { n: 1 });
    await until(() => box.depth() === 0, 10_000, 'the entry written');
    expect(calls).toBe(MAX_ATTEMPTS + 2);
    expect(box.list()).toEqual([]);
    await box.stop();
  });

  it('sets a definite refusal aside after MAX_ATTEMPTS, keeps it, and puts it back on request', async () => {
    const dir = tmp();
    const box = new Outbox(dir);
    let refuse = true;
    box.handle('k', async () => {
      if (refuse) throw new ApiError('not_found', 'no such inspection');
      return 'ok';
    });
    (box as unknown as { backOff: () => void }).backOff = function (this: { schedule: (ms: number) => void }) {
      this.schedule(20);
    };
    box.start();
    const id = crypto.randomUUID();
    await box.append('k', id, {});
    await until(() => box.list().some((x) => x.refused), 10_000, 'the entry set aside');
    expect(box.depth()).toBe(0);
    expect(box.list()).toMatchObject([{ uuid: id, refused: true, last_error: 'no such inspection' }]);
    refuse = false;
    expect(box.retryRefused()).toBe(1);
    await until(() => box.depth() === 0 && box.list().length === 0, 10_000, 'the entry written after the retry');
    await box.stop();
  });

  it('takes over a lock left under its own pid by the process before it (a restart in a container)', async () => {
    const dir = tmp();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '.forward.lock'), String(process.pid));
    const box = new Outbox(dir);
    box.handle('k', async () => 'ok');
    box.start();
    await box.append('k', crypto.randomUUID(), {});
    await until(() => box.depth() === 0, 5_000, 'the entry written');
    await box.stop();
  });
});
