/**
 * A small start-up window that shows boot progress (opening the database, migrating, the first start's demo data,
 * which takes about a minute and a half) so the station never looks hung. Static HTML from a data: URL; no preload,
 * no script from outside; messages are set as text through executeJavaScript with JSON-escaped strings.
 */
import { BrowserWindow } from 'electron';

const HTML = `<!doctype html><html lang="ko"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
  body { margin: 0; font: 15px/1.5 'Noto Sans KR', system-ui, sans-serif; background: #0f1419; color: #e6edf3;
         display: flex; flex-direction: column; justify-content: center; height: 100vh; padding: 0 32px; box-sizing: border-box; }
  h1 { font-size: 22px; margin: 0 0 8px; }
  #msg { color: #9fb1c1; min-height: 1.5em; }
  .bar { height: 4px; background: #22303c; overflow: hidden; border-radius: 2px; margin-top: 16px; }
  .bar::after { content: ''; display: block; height: 100%; width: 30%; background: #3b82f6; animation: s 1.2s infinite ease-in-out; }
  @keyframes s { from { transform: translateX(-100%); } to { transform: translateX(340%); } }
</style></head>
<body><h1>LineDeck</h1><div id="msg">시작하는 중… (Starting…)</div><div class="bar"></div></body></html>`;

export interface Splash {
  message(text: string): void;
  close(): void;
}

export function showSplash(): Splash {
  const win = new BrowserWindow({
    width: 520,
    height: 200,
    frame: false,
    resizable: false,
    show: true,
    backgroundColor: '#0f1419',
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: true },
  });
  void win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(HTML)}`);
  return {
    message: (text) => {
      if (win.isDestroyed()) return;
      void win.webContents.executeJavaScript(`document.getElementById('msg').textContent = ${JSON.stringify(text)};`).catch(() => undefined);
    },
    close: () => {
      if (!win.isDestroyed()) win.close();
    },
  };
}
