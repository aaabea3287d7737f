/**
 * The backend: one station booted (databases, migrations, demo seed, background services) with its App, and the
 * doors every transport uses — procedure calls, stored files as bytes, events. The browser host runs it in its own
 * Node process (main/host/bin.ts); the desktop app runs it in a utilityProcess (main/backend/entry.ts) and relays
 * to it from Electron main. Same code either way.
 */
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
  onEvent(fn: (event: string, payload: unknown) => void): () => void;
  close(): Promise<void>;
}

export type BackendOptions = BootOptions;

export async function openBackend(opts: BackendOptions = {}): Promise<Backend> {
  const booted = await bootStation(opts);
  return backendOf(booted.app, booted.station, booted.close);
}

/** The backend's doors over an App (tests build the App themselves). */
export function backendOf(app: App, station: Station, close: () => Promise<void>): Backend {
  return {
    app,
    station,
    call: async (name, input, ctx) => {
      const env = await app.call(name, input, ctx);
      if (env.ok && name === 'auth.logout') app.services.auth.sessions.drop(ctx.sessionId);
      return env;
    },
    file: (path, sessionId) => readStoredBytes(app, sessionId, path),
    dropSession: (sessionId) => app.services.auth.sessions.drop(sessionId),
    onEvent: (fn) => app.services.bus.onAny(fn),
    close,
  };
}
