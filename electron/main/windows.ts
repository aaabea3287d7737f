/**
 * The console window: context isolation, sandbox, no node integration, a strict CSP, DevTools only in development.
 * What it may do is decided in trust.ts (tested there) and only wired here: no navigation away from the app's own
 * page, no new windows (http(s) links go to the system browser, never in kiosk mode), no <webview>, the camera
 * (media, video) only for the app's page and every other permission denied. Its window key (see ipc.ts) travels
 * to its preload as an additional argument.
 */
import { BrowserWindow, session, shell, type WebContents } from 'electron';
import { CSP } from '../../main/host/csp';
import { WINDOW_KEY_ARG } from './ipc';
import { externalLinkTarget, navigationAllowed, permissionAllowed, type AppPage } from './trust';

export function createMainWindow(opts: { kiosk: boolean; page: AppPage; devTools: boolean; preload: string; windowKey: string }): BrowserWindow {
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
      webviewTag: false,
      devTools: opts.devTools,
      spellcheck: false,
      // names this window on its picture URLs (linedeck://file/…?k=), read by the preload
      additionalArguments: [`${WINDOW_KEY_ARG}${opts.windowKey}`],
    },
  });
  win.once('ready-to-show', () => win.show());
  guardContents(win.webContents, opts);
  // webPreferences.devTools off already refuses them; should anything open them anyway, they close again
  if (!opts.devTools) win.webContents.on('devtools-opened', () => win.webContents.closeDevTools());
  // the exact URL trust.ts trusts (a file: URL of out/renderer/index.html, or the dev server's)
  void win.loadURL(opts.page.url);
  return win;
}

function guardContents(wc: WebContents, opts: { page: AppPage; kiosk: boolean }): void {
  const guard = (e: { url: string; isMainFrame: boolean; preventDefault(): void }) => {
    if (!navigationAllowed(opts.page, e.url, e.isMainFrame)) e.preventDefault();
  };
  wc.on('will-navigate', guard);
  wc.on('will-frame-navigate', guard);
  wc.on('will-redirect', guard);
  wc.on('will-attach-webview', (e) => e.preventDefault());
  wc.setWindowOpenHandler(({ url }) => {
    const target = externalLinkTarget(url, opts.kiosk);
    if (target) void shell.openExternal(target);
    return { action: 'deny' };
  });
}

export function hardenSession(page: AppPage): void {
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((wc, permission, cb, details) => {
    const mediaTypes = 'mediaTypes' in details ? details.mediaTypes : undefined;
    cb(permissionAllowed(page, { permission, contentsUrl: wc.getURL(), requestingUrl: details.requestingUrl, isMainFrame: details.isMainFrame, mediaTypes }));
  });
  session.defaultSession.setPermissionCheckHandler((wc, permission, _origin, details) =>
    permissionAllowed(page, { permission, contentsUrl: wc?.getURL() ?? null, requestingUrl: details.requestingUrl, isMainFrame: details.isMainFrame, mediaTypes: details.mediaType ? [details.mediaType] : [] }),
  );
}
