/**
 * The Electron shell: single instance, kiosk flag, the windows and menus, the OS keychain, and a relay to the
 * backend process (main/backend/entry.ts in a utilityProcess: the station's databases, pictures and models). The
 * splash shows the backend's boot progress; a backend that dies is restarted and the window says so.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, Menu } from 'electron';
import { initLogging, log } from '../../main/log';
import { createBackend } from './backend';
import { bindIpc, registerFileScheme, type Relay } from './ipc';
import { createMainWindow, hardenSession } from './windows';
import { buildMenu } from './menu';
import { shellLang, startFailedText } from './shell-text';
import { showSplash } from './splash';
import { appPage, devToolsAllowed } from './trust';

app.setName('LineDeck');
if (!app.requestSingleInstanceLock()) app.quit();
registerFileScheme();

const here = path.dirname(fileURLToPath(import.meta.url));
const kiosk = process.argv.includes('--kiosk') || process.env.LINEDECK_KIOSK === '1';
// demo mode (`npm start` in the repository passes --demo): the backend process reads it from its environment
if (process.argv.includes('--demo')) process.env.LINEDECK_DEMO = '1';
const home = process.env.LINEDECK_HOME ?? app.getPath('userData');
process.env.LINEDECK_HOME = home;
initLogging({ logDir: path.join(home, 'logs') });
const logger = log('electron');
// the one page the console trusts (trust.ts): out/renderer/index.html, or the dev server in development only
const page = appPage({ isPackaged: app.isPackaged, devUrl: process.env.ELECTRON_RENDERER_URL, rendererFile: path.join(here, '../../renderer/index.html') });
if (app.isPackaged && process.env.ELECTRON_RENDERER_URL) logger.warn('ELECTRON_RENDERER_URL is ignored in an installed build');
const devTools = devToolsAllowed(app.isPackaged);

let win: BrowserWindow | undefined;
let relay: Relay | undefined;

app.on('second-instance', () => {
  if (win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
});

const splash = { current: undefined as ReturnType<typeof showSplash> | undefined };
const backend = createBackend({
  dir: here,
  home,
  // only to windows whose session may see it (main/api/audience.ts); before the relay is bound there are none
  onEvent: (event, payload, sessions) => relay?.event(event, payload, sessions),
  onProgress: (m, f) => splash.current?.message(m, f),
  onStatus: (s) => {
    if (s.state === 'restarting' || s.state === 'failed') logger.warn({ status: s }, 'backend process');
    relay?.status(s);
  },
});

app.whenReady().then(async () => {
  hardenSession(page);
  splash.current = showSplash();
  try {
    await backend.start();
    relay = bindIpc(backend, page);
    Menu.setApplicationMenu(kiosk ? null : buildMenu({ devTools, lang: shellLang(app.getLocale()) }));
    const windowKey = relay.newWindowKey();
    win = createMainWindow({
      kiosk,
      page,
      devTools,
      preload: path.join(here, '../../preload/index.cjs'),
      windowKey,
    });
    relay.attachWindow(windowKey, win.webContents);
    win.once('ready-to-show', () => splash.current?.close());
  } catch (e) {
    splash.current?.close();
    logger.error({ err: (e as Error).stack }, 'start failed');
    const box = startFailedText((e as Error).message);
    dialog.showErrorBox(box.title, box.content);
    await backend.stop(2000).catch(() => undefined);
    app.exit(1);
  }
});

let quitting = false;
app.on('before-quit', (e) => {
  if (quitting) return;
  e.preventDefault();
  quitting = true;
  relay?.dispose();
  backend
    .stop()
    .catch((err) => logger.error({ err: String(err) }, 'shutdown failed'))
    .finally(() => app.quit());
});
app.on('window-all-closed', () => app.quit());
