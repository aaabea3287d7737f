/**
 * The idle lock is driven by the person, not by polling (issue #17 item 5): pointer and key input is reported to
 * main with `auth.activity`, at most once a minute. A session that main has ended (idle, or past its shift) sends
 * the console back to the login screen.
 */
import { useEffect } from 'react';
import { call } from '../api/client';

export const ACTIVITY_EVERY_MS = 60_000;
const EVENTS = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;

export function useActivityReporter(active: boolean, onEnded: () => void): void {
  useEffect(() => {
    if (!active) return;
    let last = 0;
    const report = () => {
      const now = Date.now();
      if (now - last < ACTIVITY_EVERY_MS) return;
      last = now;
      call('auth.activity', {}).then(
        (r) => {
          if (!r.ok) onEnded();
        },
        () => undefined, // unauthenticated already reaches the shell through onUnauthenticated
      );
    };
    for (const e of EVENTS) window.addEventListener(e, report, { passive: true, capture: true });
    return () => {
      for (const e of EVENTS) window.removeEventListener(e, report, { capture: true });
    };
  }, [active, onEnded]);
}
