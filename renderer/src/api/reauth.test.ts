import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../main/api/kit';
import { call, CallError, onUnauthenticated, setBridge, setReauthHandler } from './client';

/** A bridge that answers like main's dispatcher: admin changes need auth.reauth first. */
function bridge() {
  let fresh = false;
  const calls: string[] = [];
  setBridge({
    transport: 'http',
    on: () => () => undefined,
    fileUrl: (p) => p,
    async call(name, input): Promise<Envelope<unknown>> {
      calls.push(name);
      if (name === 'auth.reauth') {
        fresh = (input as { password: string }).password === 'right-password';
        return fresh ? { ok: true, value: { ok: true } } : { ok: false, error: { kind: 'validation', message: 'wrong password' } };
      }
      if (!fresh) return { ok: false, error: { kind: 'unauthenticated', message: 'enter your password again', details: { reason: 'reauth' } } };
      return { ok: true, value: { done: name } };
    },
  });
  return calls;
}

describe('renderer client: re-authentication for admin changes', () => {
  const offs: (() => void)[] = [];
  afterEach(() => offs.splice(0).forEach((f) => f()));

  it('asks for the password once, then sends the refused call again, without logging out', async () => {
    const calls = bridge();
    let asked = 0;
    let loggedOut = 0;
    offs.push(onUnauthenticated(() => loggedOut++));
    offs.push(
      setReauthHandler(async () => {
        asked++;
        await call('auth.reauth', { password: 'right-password' });
        return true;
      }),
    );
    // two refused calls at once share one prompt
    const [a, b] = await Promise.all([call('admin.users.unlock', { userId: 3 }), call('stations.rename', { stationId: 'x', name: 'y' })]);
    expect(a).toEqual({ done: 'admin.users.unlock' });
    expect(b).toEqual({ done: 'stations.rename' });
    expect(asked).toBe(1);
    expect(loggedOut).toBe(0);
    expect(calls.filter((c) => c === 'auth.reauth')).toHaveLength(1);
  });

  it('gives the refusal back when the person cancels, still without logging out', async () => {
    bridge();
    let loggedOut = 0;
    offs.push(onUnauthenticated(() => loggedOut++));
    offs.push(setReauthHandler(async () => false));
    const err = await call('admin.users.unlock', { userId: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallError);
    expect((err as CallError).error.details).toEqual({ reason: 'reauth' });
    expect(loggedOut).toBe(0);
  });
});
