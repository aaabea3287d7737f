/**
 * The backend: one station booted (databases, migrations, demo seed, background services) with its App, and the
 * doors every transport uses — procedure calls, stored files as bytes, events. The browser host runs it in its own
 * Node process (main/host/bin.ts); the desktop app runs it in a utilityProcess (main/backend/entry.ts) and relays
 * to it from Electron main. Same code either way.
 */
import { eventAudience } from '../api/audience';
import type { Envelope } from '../api/kit';
import type { CallContext } from '../api/dispatch';
import type { App } from '../app';
import { bootStation, type BootOptions } from '../boot';
import type { Station } from '../db/station';
import { readStoredBytes } from './files';
import type { FileBody } from './relay';

export interface Backend {
  app: App;
  station: Station;
  call(name: string, input: unknown, ctx: CallContext): Promise<Envelope<unknown>>;
  file(path: string, sessionId: string | undefined): Promise<Envelope<FileBody>>;
  dropSession(sessionId: string | undefined): void;
  /**
   * the bus's events, each with the live sessions that may receive it (main/api/audience.ts): a shell delivers it to
   * the windows holding one of them only
   */
  onEvent(fn: (event: string, payload: unknown, sessions: string[]) => void): () => void;
  close(): Promise<void>;
}

export async function openBackend(opts: BootOptions = {}): Promise<Backend> {
  const { app, station, close } = await bootStation(opts);
  return {
    app,
    station,
    // the auth.logout handler drops its session itself
    call: (name, input, ctx) => app.call(name, input, ctx),
    file: (path, sessionId) => readStoredBytes(app, sessionId, path),
    dropSession: (sessionId) => app.services.auth.sessions.drop(sessionId),
    onEvent: (fn) =>
      app.services.bus.onAny((event, payload) => {
        const audience = eventAudience(app.services.auth.sessions, event, payload);
        if (audience) fn(event, audience.payload, audience.sessionIds);
      }),
    close,
  };
}
