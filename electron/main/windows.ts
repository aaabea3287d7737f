/**
 * The console window: context isolation, sandbox, no node integration, a strict CSP, no navigation away from the
 * app, no new windows, permission requests limited to the camera (inspection capture). Its window key (see
 * ipc.ts) travels to its preload as an additional argument.
 */
import path from 'node:path';
import { BrowserWindow, session, shell } from 'electron';
import { CSP } from '../../main/host/csp';
import { WINDOW_KEY_ARG } from './ipc';

export function createMainWindow(opts: { kiosk: boolean; rendererUrl?: string; rendererFile: string; preload: string; windowKey: string }): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    kiosk: opts.kiosk,
    autoHideMenuBar: opts.kiosk,
    title: 'LineDeck',
    backgroundColor: '#0f1419',
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      // names this window on its picture URLs (linedeck://file/…?k=), read by the preload
      additionalArguments: [`${WINDOW_KEY_ARG}${opts.windowKey}`],
    },
  });
  win.once('ready-to-show', () => win.show());
  const allowed = opts.rendererUrl ? new URL(opts.rendererUrl).origin : 'file://';
  win.webContents.on('will-navigate', (e, url) => {
    if (!url.startsWith(allowed)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (opts.rendererUrl) void win.loadURL(opts.rendererUrl);
  else void win.loadFile(path.resolve(opts.rendererFile));
  return win;
}

export function hardenSession(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, permission, cb) => cb(permission === 'media'));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => permission === 'media');
}
