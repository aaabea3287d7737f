/**
 * The backend's side of the relay: answers calls and file requests from the shell, pushes the bus's events, and
 * asks the shell for its secrets codec (Electron's safeStorage stays in Electron main). Calls that come before the
 * station is up answer `unavailable`.
 */
import type { Envelope } from '../api/kit';
import { log } from '../log';
import type { Backend } from './backend';
import type { FromBackend, RelayPort, SecretOp, ToBackend } from './relay';

export interface RelayServer {
  /** starts answering with this backend (before: `unavailable`) and forwards its events */
  attach(backend: Backend): void;
  post(msg: FromBackend): void;
  /** asks the shell to encrypt or decrypt with its codec */
  secret(op: SecretOp, value: string): Promise<string>;
  close(): void;
}

export function serveRelay(port: RelayPort<ToBackend, FromBackend>, opts: { onStop(): void }): RelayServer {
  const logger = log('relay');
  let backend: Backend | undefined;
  let offEvents: (() => void) | undefined;
  let nextSecret = 1;
  const secrets = new Map<number, { resolve(v: string): void; reject(e: Error): void }>();

  const post = (msg: FromBackend) => {
    try {
      port.post(msg);
    } catch (e) {
      // a value the structured clone refuses (e.g. a function): answer the call with an error instead of nothing
      if (msg.t === 'result') port.post({ t: 'result', id: msg.id, envelope: { ok: false, error: { kind: 'internal', message: `the result could not be sent: ${(e as Error).message}` } } });
      else logger.warn({ t: msg.t, err: (e as Error).message }, 'relay message not sent');
    }
  };
  const answer = (id: number, work: () => Promise<Envelope<unknown>>) => {
    if (!backend) return post({ t: 'result', id, envelope: { ok: false, error: { kind: 'unavailable', message: 'the station is still starting' } } });
    work().then(
      (envelope) => post({ t: 'result', id, envelope }),
      (e) => post({ t: 'result', id, envelope: { ok: false, error: { kind: 'internal', message: (e as Error)?.message ?? String(e) } } }),
    );
  };

  const off = port.onMessage((m) => {
    if (!m || typeof m !== 'object') return;
    switch (m.t) {
      case 'call':
        if (typeof m.name !== 'string') return post({ t: 'result', id: m.id, envelope: { ok: false, error: { kind: 'validation', message: 'procedure name must be a string' } } });
        return answer(m.id, () => backend!.call(m.name, m.input, { transport: 'ipc', sessionId: m.sessionId }));
      case 'file':
        return answer(m.id, () => backend!.file(String(m.path ?? ''), m.sessionId));
      case 'drop-session':
        backend?.dropSession(m.sessionId);
        return;
      case 'secret-reply': {
        const p = secrets.get(m.id);
        if (!p) return;
        secrets.delete(m.id);
        if (m.error !== undefined || m.value === undefined) p.reject(new Error(`the desktop app's keychain refused: ${m.error ?? 'no value'}`));
        else p.resolve(m.value);
        return;
      }
      case 'stop':
        opts.onStop();
        return;
    }
  });

  return {
    attach(b) {
      backend = b;
      offEvents = b.onEvent((event, payload, sessions) => post({ t: 'event', event, payload, sessions }));
    },
    post,
    secret(op, value) {
      const id = nextSecret++;
      return new Promise<string>((resolve, reject) => {
        secrets.set(id, { resolve, reject });
        post({ t: 'secret', id, op, value });
      });
    },
    close() {
      off();
      offEvents?.();
      for (const p of secrets.values()) p.reject(new Error('the relay closed'));
      secrets.clear();
    },
  };
}
