/**
 * The Electron shell: single instance, kiosk flag, boots the station (embedded PostgreSQL by default) through the
 * same services as the CLI and the browser host, binds the API to IPC, and stops everything on quit.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, Menu, safeStorage, type WebContents } from 'electron';
import { bootStation } from '../../main/boot';
import { initLogging, log } from '../../main/log';
import { setSecretCodec } from '../../main/secrets';
import { bindIpc } from './ipc';
import { createMainWindow, hardenSession } from './windows';
import { buildMenu } from './menu';
import { showSplash } from './splash';

app.setName('LineDeck');
if (!app.requestSingleInstanceLock()) app.quit();

const here = path.dirname(fileURLToPath(import.meta.url));
const kiosk = process.argv.includes('--kiosk') || process.env.LINEDECK_KIOSK === '1';
const home = process.env.LINEDECK_HOME ?? app.getPath('userData');
process.env.LINEDECK_HOME = home;
initLogging({ logDir: path.join(home, 'logs') });
const logger = log('electron');

let stop: (() => Promise<void>) | undefined;
let win: BrowserWindow | undefined;

app.on('second-instance', () => {
  if (win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
});

app.whenReady().then(async () => {
  hardenSession();
  if (safeStorage.isEncryptionAvailable())
    setSecretCodec({ encrypt: (s) => safeStorage.encryptString(s).toString('base64'), decrypt: (s) => safeStorage.decryptString(Buffer.from(s, 'base64')) });
  const splash = showSplash();
  try {
    const booted = await bootStation({ home, onProgress: (m) => splash.message(m) });
    stop = booted.close;
    const rendererUrl = process.env.ELECTRON_RENDERER_URL;
    const isTrusted = (_wc: WebContents, frameUrl: string) => (rendererUrl ? frameUrl.startsWith(rendererUrl) : frameUrl.startsWith('file://'));
    bindIpc(booted.app, isTrusted);
    Menu.setApplicationMenu(kiosk ? null : buildMenu());
    win = createMainWindow({
      kiosk,
      rendererUrl,
      rendererFile: path.join(here, '../../renderer/index.html'),
      preload: path.join(here, '../../preload/index.cjs'),
    });
    win.once('ready-to-show', () => splash.close());
  } catch (e) {
    splash.close();
    logger.error({ err: (e as Error).stack }, 'start failed');
    dialog.showErrorBox('LineDeck', `LineDeck could not start:\n${(e as Error).message}`);
    app.exit(1);
  }
});

let quitting = false;
app.on('before-quit', (e) => {
  if (quitting || !stop) return;
  e.preventDefault();
  quitting = true;
  stop()
    .catch((err) => logger.error({ err: String(err) }, 'shutdown failed'))
    .finally(() => app.quit());
});
app.on('window-all-closed', () => app.quit());
