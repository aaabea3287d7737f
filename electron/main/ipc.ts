/**
 * Binds the handler table to IPC. Sessions are held here per window (webContents id): the renderer gets the user,
 * never a session id or credentials. Only our own windows' frames may call.
 */
import { ipcMain, type WebContents, BrowserWindow } from 'electron';
import type { App } from '../../main/app';

export function bindIpc(app: App, isTrusted: (wc: WebContents, frameUrl: string) => boolean): () => void {
  const sessions = new Map<number, string>();
  ipcMain.handle('linedeck:call', async (event, name: unknown, input: unknown) => {
    if (!isTrusted(event.sender, event.senderFrame?.url ?? '')) return { ok: false, error: { kind: 'forbidden', message: 'untrusted frame' } };
    if (typeof name !== 'string') return { ok: false, error: { kind: 'validation', message: 'procedure name must be a string' } };
    const wcId = event.sender.id;
    const env = await app.call(name, input, { transport: 'ipc', sessionId: sessions.get(wcId) });
    if (env.ok && (name === 'auth.login' || name === 'auth.setup')) {
      const { sessionId, user } = env.value as { sessionId: string; user: unknown };
      sessions.set(wcId, sessionId);
      event.sender.once('destroyed', () => app.services.auth.sessions.drop(sessions.get(wcId)));
      return { ok: true, value: { user, sessionId: 'ipc' } };
    }
    if (name === 'auth.logout') sessions.delete(wcId);
    return env;
  });
  const off = app.services.bus.onAny((name, payload) => {
    for (const w of BrowserWindow.getAllWindows()) if (!w.isDestroyed()) w.webContents.send('linedeck:event', name, payload);
  });
  return () => {
    off();
    ipcMain.removeHandler('linedeck:call');
  };
}
