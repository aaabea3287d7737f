/**
 * Binds the windows to the backend process: ipcMain 'linedeck:call' is relayed to the backend (BackendSupervisor),
 * its events go only to the windows whose session may receive them (deliverToWindow; a logged-out window gets
 * none), its status ('backend.status') to every window, and stored pictures are served as bytes
 * on `linedeck://file/<path>`. Sessions are held here per window (webContents id): the renderer gets the user,
 * never a session id or credentials. Only the main frame of our own windows, showing the app's own page, may call
 * (trust.ts ipcSenderAllowed).
 *
 * A picture request carries no webContents: each window gets a random key (passed to its preload through
 * additionalArguments) that its picture URLs carry (`?k=`), which names the window and so its session.
 */
import crypto from 'node:crypto';
import { BrowserWindow, ipcMain, protocol, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { BACKEND_STATUS_EVENT, decodeUrlPath, deliverToWindow, fileStatus, type BackendStatus } from '../../main/backend/relay';
import type { BackendSupervisor } from '../../main/backend/supervisor';
import { ipcSenderAllowed, type AppPage } from './trust';

export const FILE_SCHEME = 'linedeck';
export const WINDOW_KEY_ARG = '--linedeck-window-key=';

/** Before app ready: linedeck: behaves like https for the renderer (secure, fetchable, CORS for canvas reads). */
export function registerFileScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: FILE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } }]);
}

export function broadcast(event: string, payload: unknown): void {
  for (const w of BrowserWindow.getAllWindows()) if (!w.isDestroyed()) w.webContents.send('linedeck:event', event, payload);
}

export interface Relay {
  /** a key for a window about to be created (its preload gets it) */
  newWindowKey(): string;
  /** ties the key to the created window; forgets both when the window goes */
  attachWindow(key: string, wc: WebContents): void;
  /** the backend's status changed: tell the windows; a backend that went away took the sessions with it */
  status(s: BackendStatus): void;
  /** a backend event: to each window holding one of `sessions` */
  event(event: string, payload: unknown, sessions: string[]): void;
  dispose(): void;
}

/** The calling frame: its URL and whether it is its window's main frame (not an iframe, not a fenced frame). */
function senderFrame(event: IpcMainInvokeEvent): { frameUrl: string | null; isMainFrame: boolean } {
  try {
    const frame = event.senderFrame;
    const main = event.sender.mainFrame;
    if (!frame) return { frameUrl: null, isMainFrame: false };
    return { frameUrl: frame.url, isMainFrame: frame === main || (frame.processId === main.processId && frame.routingId === main.routingId) };
  } catch {
    // a frame that navigated away or was destroyed meanwhile
    return { frameUrl: null, isMainFrame: false };
  }
}

export function bindIpc(backend: BackendSupervisor, page: AppPage): Relay {
  const sessions = new Map<number, string>();
  const keys = new Map<string, number>();
  const windows = new Set<number>();

  ipcMain.handle('linedeck:call', async (event, name: unknown, input: unknown) => {
    if (!ipcSenderAllowed(page, { ...senderFrame(event), ownWindow: windows.has(event.sender.id) })) return { ok: false, error: { kind: 'forbidden', message: 'untrusted frame' } };
    if (typeof name !== 'string') return { ok: false, error: { kind: 'validation', message: 'procedure name must be a string' } };
    const wcId = event.sender.id;
    const env = await backend.call(name, input, sessions.get(wcId));
    if (env.ok && (name === 'auth.login' || name === 'auth.setup')) {
      const { sessionId, user } = env.value as { sessionId: string; user: unknown };
      const previous = sessions.get(wcId);
      if (previous && previous !== sessionId) backend.dropSession(previous);
      sessions.set(wcId, sessionId);
      return { ok: true, value: { user, sessionId: 'ipc' } };
    }
    if (name === 'auth.logout') sessions.delete(wcId);
    return env;
  });

  protocol.handle(FILE_SCHEME, async (req) => {
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'access-control-allow-origin': '*' };
    const u = new URL(req.url);
    if (u.host !== 'file' || (req.method !== 'GET' && req.method !== 'HEAD')) return new Response('not found', { status: 404, headers });
    const wcId = keys.get(u.searchParams.get('k') ?? '');
    const rel = decodeUrlPath(u.pathname.replace(/^\/+/, ''));
    if (rel === null) return new Response('bad path', { status: 400, headers });
    const env = await backend.file(rel, wcId === undefined ? undefined : sessions.get(wcId));
    if (!env.ok) return new Response(JSON.stringify(env), { status: fileStatus(env), headers: { ...headers, 'content-type': 'application/json' } });
    const { bytes, mime } = env.value;
    return new Response(req.method === 'HEAD' ? null : (bytes as Uint8Array<ArrayBuffer>), { status: 200, headers: { ...headers, 'content-type': mime, 'content-length': String(bytes.byteLength) } });
  });

  return {
    newWindowKey: () => crypto.randomBytes(18).toString('base64url'),
    attachWindow(key, wc) {
      const id = wc.id;
      keys.set(key, id);
      windows.add(id);
      wc.once('destroyed', () => {
        backend.dropSession(sessions.get(id));
        sessions.delete(id);
        keys.delete(key);
        windows.delete(id);
      });
    },
    event(event, payload, allowed) {
      for (const w of BrowserWindow.getAllWindows()) {
        if (w.isDestroyed() || !windows.has(w.webContents.id)) continue;
        if (deliverToWindow(event, allowed, sessions.get(w.webContents.id))) w.webContents.send('linedeck:event', event, payload);
      }
    },
    status(s) {
      // sessions lived in the process that stopped; the windows' next call answers unauthenticated → login
      if (s.state !== 'ready') sessions.clear();
      broadcast(BACKEND_STATUS_EVENT, s);
    },
    dispose() {
      ipcMain.removeHandler('linedeck:call');
      protocol.unhandle(FILE_SCHEME);
    },
  };
}
