/**
 * What the Electron shell trusts, decided here without Electron so that vitest checks every rule
 * (electron/main/trust.test.ts); windows.ts, ipc.ts and menu.ts only wire these answers to Electron's events.
 *
 * Trusted is exactly the app's own page, never a prefix of it:
 * - installed and from the repository: the one file the window loads (out/renderer/index.html, in app.asar when
 *   packaged), compared as a file URL (host and decoded path; its query and fragment are the app's routes);
 * - development (electron-vite's ELECTRON_RENDERER_URL, ignored in a packaged build): the dev server's exact origin
 *   (scheme, host and port), which must be on this machine.
 * Everything else is refused: navigation away from that page, new windows, permissions other than the camera
 * (`media`, video only) for that page, IPC from other frames. External links open in the system browser only when
 * they are http(s) and the station is not in kiosk mode.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface AppPage {
  /** what the console window loads */
  readonly url: string;
  /** 'file': exactly this file, any query or fragment; 'dev': this origin (the electron-vite dev server) */
  readonly kind: 'file' | 'dev';
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function parse(url: string | null | undefined): URL | null {
  if (typeof url !== 'string' || url === '') return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * The page the console window loads. A packaged build always loads its own file: ELECTRON_RENDERER_URL in the
 * environment of an installed station must not turn it into a browser for another site.
 */
export function appPage(opts: { isPackaged: boolean; devUrl?: string; rendererFile: string }): AppPage {
  if (!opts.isPackaged && opts.devUrl) {
    const u = parse(opts.devUrl);
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || !LOOPBACK.has(u.hostname)) {
      throw new Error(`ELECTRON_RENDERER_URL must be an http(s) URL on this machine (localhost), not ${JSON.stringify(opts.devUrl)}`);
    }
    return { kind: 'dev', url: u.href };
  }
  return { kind: 'file', url: pathToFileURL(path.resolve(opts.rendererFile)).href };
}

/**
 * A file URL's path as the file it names, or null when it cannot be one file: an encoded separator or NUL (Chromium
 * refuses those), a bad escape. Escapes are decoded so that Chromium's and Node's spellings of the same path
 * compare equal; a Windows drive letter compares in either case.
 */
function filePath(pathname: string): string | null {
  if (/%(2f|5c|00)/i.test(pathname)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  return decoded.replace(/^\/([a-z]):/i, (_m, drive: string) => `/${drive.toUpperCase()}:`);
}

/** Is `url` the app's own page? (its query and fragment aside) */
export function isTrustedUrl(page: AppPage, url: string | null | undefined): boolean {
  const u = parse(url);
  if (!u || u.username || u.password) return false;
  const own = new URL(page.url);
  if (page.kind === 'dev') return u.origin === own.origin;
  if (u.protocol !== 'file:' || u.host !== own.host) return false;
  const a = filePath(u.pathname);
  return a !== null && a === filePath(own.pathname);
}

/** will-navigate, will-redirect, will-frame-navigate: only the main frame, and only to the app's page again. */
export function navigationAllowed(page: AppPage, url: string, isMainFrame: boolean): boolean {
  return isMainFrame && isTrustedUrl(page, url);
}

/**
 * A link the page asks to open in a new window (window.open, target=_blank; the window itself is always denied):
 * the URL to hand to the system browser, or null. Never in kiosk mode (the station has no browser to show), and
 * only http(s) without credentials: file:, javascript:, smb:, custom schemes would run or open things on the station.
 */
export function externalLinkTarget(url: string, kiosk: boolean): string | null {
  if (kiosk) return null;
  const u = parse(url);
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || !u.hostname) return null;
  return u.href;
}

export interface PermissionAsk {
  /** Electron's permission name */
  permission: string;
  /** the URL of the asking webContents; null when Electron gives none */
  contentsUrl: string | null;
  /** the URL of the asking frame (details.requestingUrl) */
  requestingUrl?: string;
  isMainFrame: boolean;
  /** request: details.mediaTypes; check: [details.mediaType] */
  mediaTypes?: readonly string[];
}

/** The camera for inspection capture (getUserMedia video, no audio) on the app's own page; nothing else, for anyone. */
export function permissionAllowed(page: AppPage, ask: PermissionAsk): boolean {
  if (ask.permission !== 'media' || !ask.isMainFrame) return false;
  const frameUrl = ask.requestingUrl ?? ask.contentsUrl;
  if (!isTrustedUrl(page, ask.contentsUrl) || !isTrustedUrl(page, frameUrl)) return false;
  const types = ask.mediaTypes ?? [];
  return types.length > 0 && types.every((t) => t === 'video');
}

/** ipcMain 'linedeck:call': only the main frame of one of our windows, showing the app's page. */
export function ipcSenderAllowed(page: AppPage, sender: { frameUrl: string | null; isMainFrame: boolean; ownWindow: boolean }): boolean {
  return sender.ownWindow && sender.isMainFrame && isTrustedUrl(page, sender.frameUrl);
}

/** DevTools only in development: an installed station has none (no menu item, no shortcut, webPreferences.devTools off). */
export function devToolsAllowed(isPackaged: boolean): boolean {
  return !isPackaged;
}
