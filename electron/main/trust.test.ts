/**
 * The shell's trust decisions (trust.ts, menu-template.ts) against an attacker's URLs. Each case that the old
 * prefix checks let through (index.ts `frameUrl.startsWith(rendererUrl)` / `startsWith('file://')`, windows.ts
 * `url.startsWith(origin)`, permissions `permission === 'media'` for anyone, `/^https?:\/\//` opened even in kiosk
 * mode) is also run against a copy of that old check, so these tests fail on the old logic.
 */
import { describe, expect, it } from 'vitest';
import { menuTemplate } from './menu-template';
import { appPage, devToolsAllowed, externalLinkTarget, ipcSenderAllowed, isTrustedUrl, navigationAllowed, permissionAllowed, type AppPage, type PermissionAsk } from './trust';

const FILE = '/opt/LineDeck/resources/app.asar/out/renderer/index.html';
const filePage = appPage({ isPackaged: true, rendererFile: FILE });
const DEV = 'http://localhost:5173';
const devPage = appPage({ isPackaged: false, devUrl: DEV, rendererFile: FILE });

// the checks this module replaces, verbatim
const oldIpcTrust = (rendererUrl: string | undefined, frameUrl: string) => (rendererUrl ? frameUrl.startsWith(rendererUrl) : frameUrl.startsWith('file://'));
const oldNavAllowed = (rendererUrl: string | undefined, url: string) => url.startsWith(rendererUrl ? new URL(rendererUrl).origin : 'file://');
const oldPermission = (permission: string) => permission === 'media';
const oldOpenExternal = (url: string) => /^https?:\/\//.test(url);

describe('appPage', () => {
  it('loads the renderer file as a file URL, and ignores ELECTRON_RENDERER_URL in a packaged build', () => {
    expect(filePage).toEqual({ kind: 'file', url: `file://${FILE}` });
    expect(appPage({ isPackaged: true, devUrl: 'https://evil.tld/', rendererFile: FILE })).toEqual(filePage);
    expect(appPage({ isPackaged: false, rendererFile: FILE })).toEqual(filePage);
  });

  it('takes the dev server only on this machine, over http(s), without credentials', () => {
    expect(devPage).toEqual({ kind: 'dev', url: 'http://localhost:5173/' });
    expect(appPage({ isPackaged: false, devUrl: 'http://127.0.0.1:5173/', rendererFile: FILE }).kind).toBe('dev');
    for (const bad of ['http://localhost:5173.evil.tld/', 'http://evil.tld:5173/', 'http://localhost.:5173/', 'file:///etc/passwd', 'http://user@localhost:5173/', 'javascript:alert(1)', 'not a url']) {
      expect(() => appPage({ isPackaged: false, devUrl: bad, rendererFile: FILE }), bad).toThrow(/ELECTRON_RENDERER_URL/);
    }
  });
});

describe('isTrustedUrl: the packaged page (file:)', () => {
  const attacks = [
    'file:///etc/passwd',
    'file:///other/app/index.html',
    'file:///opt/LineDeck/resources/app.asar/out/renderer/evil.html', // same folder, another file
    'file:///opt/LineDeck/resources/app.asar/out/renderer/index.html.evil.html',
    'file:///opt/LineDeck/resources/app.asar/out/renderer/index.html/', // the page as a folder
    'file:///opt/LineDeck/resources/app.asar/out/renderer/',
    'file:///opt/LineDeck/resources/app.asar/out/renderer/index.html/../evil.html',
    'file:///opt/LineDeck/resources/app.asar/out/renderer/index.html%2F..%2Fevil.html', // encoded separators
    'file:///opt/LineDeck/resources/app.asar/out/renderer%2Findex.html',
    'file://evil.tld/opt/LineDeck/resources/app.asar/out/renderer/index.html', // a UNC host
    'file://evil.tld./opt/LineDeck/resources/app.asar/out/renderer/index.html',
  ];
  it.each(attacks)('refuses %s (the old startsWith("file://") trusted it)', (url) => {
    expect(oldIpcTrust(undefined, url)).toBe(true);
    expect(isTrustedUrl(filePage, url)).toBe(false);
  });

  it.each(['app://evil/', 'app://linedeck/index.html', 'javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'about:blank', 'http://localhost:5173/', 'blob:file:///x', 'FILE:///etc/passwd', 'linedeck://file/index.html', '', 'not a url'])(
    'refuses %s',
    (url) => expect(isTrustedUrl(filePage, url)).toBe(false),
  );

  it('trusts exactly the loaded page, with any route (#/…) or query, in any spelling of the same URL', () => {
    for (const url of [
      filePage.url,
      `${filePage.url}#/inspection/station`,
      `${filePage.url}?q=1#/cylinders?status=due`,
      'FILE:///opt/LineDeck/resources/app.asar/out/renderer/index.html', // upper-case scheme: the same URL
      'file://localhost/opt/LineDeck/resources/app.asar/out/renderer/index.html',
      'file:///opt/LineDeck/resources/app.asar/out/renderer/./index.html',
      'file:///opt/LineDeck/resources/app.asar/out/%72enderer/index.html', // an escaped letter
    ]) {
      expect(isTrustedUrl(filePage, url), url).toBe(true);
    }
    expect(isTrustedUrl(filePage, null)).toBe(false);
    expect(isTrustedUrl(filePage, undefined)).toBe(false);
  });

  it('compares paths with spaces and Korean folder names as Chromium spells them', () => {
    const page = appPage({ isPackaged: false, rendererFile: '/home/작업자/Line Deck/out/renderer/index.html' });
    expect(isTrustedUrl(page, 'file:///home/%EC%9E%91%EC%97%85%EC%9E%90/Line%20Deck/out/renderer/index.html#/')).toBe(true);
    expect(isTrustedUrl(page, 'file:///home/작업자/Line Deck/out/renderer/index.html')).toBe(true);
    expect(isTrustedUrl(page, 'file:///home/%EC%9E%91%EC%97%85%EC%9E%90/Line%20Deck/out/renderer/other.html')).toBe(false);
  });

  it('a Windows install: the drive letter in either case, nothing else', () => {
    const page: AppPage = { kind: 'file', url: 'file:///C:/Program%20Files/LineDeck/resources/app.asar/out/renderer/index.html' };
    expect(isTrustedUrl(page, 'file:///c:/Program Files/LineDeck/resources/app.asar/out/renderer/index.html#/')).toBe(true);
    expect(isTrustedUrl(page, 'file:///C:/Program%20Files/LineDeck/resources/app.asar/out/renderer/evil.html')).toBe(false);
    expect(isTrustedUrl(page, 'file:///D:/Program%20Files/LineDeck/resources/app.asar/out/renderer/index.html')).toBe(false);
    expect(isTrustedUrl(page, 'file://evil/C:/Program%20Files/LineDeck/resources/app.asar/out/renderer/index.html')).toBe(false);
    expect(isTrustedUrl(page, 'file:///C:/Program%20Files/LineDeck/resources/app.asar/out/renderer%5Cindex.html')).toBe(false);
  });
});

describe('isTrustedUrl: the dev server (exact origin)', () => {
  const attacks = [
    'http://localhost:5173.evil.tld/',
    'http://localhost:51730/',
    'http://localhost:5173@evil/', // credentials "localhost:5173", host evil
    'http://localhost:5173.evil.tld./',
  ];
  it.each(attacks)('refuses %s (the old prefix check trusted it)', (url) => {
    expect(oldIpcTrust(DEV, url)).toBe(true);
    expect(oldNavAllowed(DEV, url)).toBe(true);
    expect(isTrustedUrl(devPage, url)).toBe(false);
  });

  it.each(['http://user@localhost:5173@evil/', 'http://user@localhost:5173/', 'http://localhost.:5173/', 'https://localhost:5173/', 'http://127.0.0.1:5173/', 'http://localhost/', 'ws://localhost:5173/', 'file:///etc/passwd', 'app://evil/', 'javascript:alert(1)', 'data:text/html,x', 'HTTP://LOCALHOST:5173.EVIL.TLD/'])(
    'refuses %s',
    (url) => expect(isTrustedUrl(devPage, url)).toBe(false),
  );

  it('trusts the dev origin with any path, route or query, in any case', () => {
    for (const url of ['http://localhost:5173/', 'http://localhost:5173/#/inspection', 'http://localhost:5173/index.html?q=1', 'HTTP://LOCALHOST:5173/']) expect(isTrustedUrl(devPage, url), url).toBe(true);
  });
});

describe('navigation', () => {
  it('only the main frame, only back to the app page', () => {
    expect(navigationAllowed(filePage, `${filePage.url}#/x`, true)).toBe(true);
    expect(navigationAllowed(filePage, filePage.url, false)).toBe(false); // no frames of the app
    expect(navigationAllowed(devPage, 'http://localhost:5173/', true)).toBe(true);
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'file:///opt/LineDeck/resources/app.asar/out/renderer/evil.html', 'javascript:alert(1)', 'data:text/html,x']) {
      expect(navigationAllowed(filePage, url, true), url).toBe(false);
    }
    expect(oldNavAllowed(undefined, 'file:///etc/passwd')).toBe(true);
    expect(navigationAllowed(devPage, 'http://localhost:5173.evil.tld/', true)).toBe(false);
  });
});

describe('external links (window.open / target=_blank)', () => {
  it('never in kiosk mode (the old handler opened http(s) links there too)', () => {
    for (const url of ['https://example.com/', 'http://example.com/help']) {
      expect(oldOpenExternal(url)).toBe(true);
      expect(externalLinkTarget(url, true)).toBeNull();
    }
  });

  it('http(s) only, normalized, without credentials', () => {
    expect(externalLinkTarget('https://example.com/docs?a=1#b', false)).toBe('https://example.com/docs?a=1#b');
    expect(externalLinkTarget('HTTPS://Example.COM', false)).toBe('https://example.com/');
    expect(oldOpenExternal('https://user:pw@evil.tld/')).toBe(true);
    for (const url of ['https://user:pw@evil.tld/', 'file:///etc/passwd', 'file://server/share/x.exe', 'javascript:alert(1)', 'smb://evil/share', 'ms-settings:', 'data:text/html,x', 'vbscript:x', 'linedeck://file/x', 'https:', 'not a url', '']) {
      expect(externalLinkTarget(url, false), url).toBeNull();
    }
  });
});

describe('permissions', () => {
  const ask = (over: Partial<PermissionAsk>): PermissionAsk => ({
    permission: 'media',
    contentsUrl: `${filePage.url}#/inspection/station`,
    requestingUrl: `${filePage.url}#/inspection/station`,
    isMainFrame: true,
    mediaTypes: ['video'],
    ...over,
  });

  it('the camera (media, video) for the app page', () => {
    expect(permissionAllowed(filePage, ask({}))).toBe(true);
    expect(permissionAllowed(devPage, ask({ contentsUrl: 'http://localhost:5173/#/x', requestingUrl: 'http://localhost:5173/#/x' }))).toBe(true);
    // a check without requestingUrl: the main frame's URL is the webContents' URL
    expect(permissionAllowed(filePage, ask({ requestingUrl: undefined }))).toBe(true);
  });

  it('not for another origin or page (the old handler granted media to anyone)', () => {
    const others = [
      ask({ contentsUrl: 'https://evil.tld/', requestingUrl: 'https://evil.tld/' }),
      ask({ requestingUrl: 'https://evil.tld/' }), // a frame of another origin
      ask({ contentsUrl: 'file:///etc/passwd', requestingUrl: 'file:///etc/passwd' }),
      ask({ contentsUrl: 'data:text/html,x', requestingUrl: 'data:text/html,x' }), // the splash
      ask({ contentsUrl: null, requestingUrl: undefined }),
      ask({ contentsUrl: null }), // a check with no webContents
      ask({ isMainFrame: false }),
    ];
    for (const a of others) {
      expect(oldPermission(a.permission)).toBe(true);
      expect(permissionAllowed(filePage, a), JSON.stringify(a)).toBe(false);
    }
    expect(permissionAllowed(devPage, ask({ contentsUrl: 'http://localhost:5173.evil.tld/', requestingUrl: 'http://localhost:5173.evil.tld/' }))).toBe(false);
  });

  it('not the microphone, and not without a media type', () => {
    for (const mediaTypes of [['audio'], ['video', 'audio'], ['unknown'], [], undefined]) {
      expect(permissionAllowed(filePage, ask({ mediaTypes })), JSON.stringify(mediaTypes)).toBe(false);
    }
  });

  it.each(['geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'display-capture', 'openExternal', 'fullscreen', 'pointerLock', 'midiSysex', 'hid', 'serial', 'usb', 'fileSystem', 'mediaKeySystem', 'unknown'])(
    'denies %s, even to the app page',
    (permission) => expect(permissionAllowed(filePage, ask({ permission }))).toBe(false),
  );
});

describe('IPC sender', () => {
  const sender = { frameUrl: `${filePage.url}#/`, isMainFrame: true, ownWindow: true };
  it('the main frame of our window on the app page', () => {
    expect(ipcSenderAllowed(filePage, sender)).toBe(true);
  });
  it('not a subframe, another window, another page, or a frame that is gone', () => {
    expect(ipcSenderAllowed(filePage, { ...sender, isMainFrame: false })).toBe(false);
    expect(ipcSenderAllowed(filePage, { ...sender, ownWindow: false })).toBe(false);
    expect(ipcSenderAllowed(filePage, { ...sender, frameUrl: null })).toBe(false);
    for (const frameUrl of ['file:///tmp/evil.html', 'file:///opt/LineDeck/resources/app.asar/out/renderer/evil.html']) {
      expect(oldIpcTrust(undefined, frameUrl)).toBe(true);
      expect(ipcSenderAllowed(filePage, { ...sender, frameUrl })).toBe(false);
    }
    expect(ipcSenderAllowed(filePage, { ...sender, frameUrl: 'data:text/html,x' })).toBe(false);
    expect(ipcSenderAllowed(devPage, { ...sender, frameUrl: 'http://localhost:5173.evil.tld/' })).toBe(false);
  });
});

describe('DevTools', () => {
  const roles = (devTools: boolean) => JSON.stringify(menuTemplate({ devTools }));
  it('none in a packaged build: not allowed, no menu item (and so no accelerator)', () => {
    expect(devToolsAllowed(true)).toBe(false);
    expect(roles(false)).not.toMatch(/toggleDevTools/i);
    expect(roles(devToolsAllowed(true))).not.toMatch(/devtools/i);
  });
  it('kept in development', () => {
    expect(devToolsAllowed(false)).toBe(true);
    expect(roles(devToolsAllowed(false))).toMatch(/"toggleDevTools"/);
  });
});
