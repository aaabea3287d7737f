/**
 * A small start-up window that shows boot progress (opening the database, migrating, the first start's demo data,
 * under a minute) with a progress bar and a percentage, so the station never looks hung. Static HTML from a data: URL; no preload,
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
  .bar { height: 8px; background: #22303c; overflow: hidden; border-radius: 4px; margin-top: 16px; }
  #fill { height: 100%; width: 30%; background: #3b82f6; animation: s 1.2s infinite ease-in-out; transition: width .3s; }
  #fill.known { animation: none; }
  @keyframes s { from { transform: translateX(-100%); } to { transform: translateX(340%); } }
  #pct { color: #9fb1c1; font-variant-numeric: tabular-nums; text-align: right; font-size: 13px; margin-top: 4px; min-height: 1.2em; }
</style></head>
<body><h1>LineDeck</h1><div id="msg">시작하는 중… (Starting…)</div>
<div class="bar" role="progressbar" aria-label="시작 진행률 (start-up progress)" aria-valuemin="0" aria-valuemax="100"><div id="fill"></div></div><div id="pct"></div></body></html>`;

export interface Splash {
  /** what the start does; `fraction` (0…1) turns the moving bar into a filled one with a percentage */
  message(text: string, fraction?: number): void;
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
    message: (text, fraction) => {
      if (win.isDestroyed()) return;
      const pct = fraction === undefined || !Number.isFinite(fraction) ? null : Math.round(Math.min(1, Math.max(0, fraction)) * 100);
      const bar =
        pct === null
          ? ''
          : `const f = document.getElementById('fill'); f.className = 'known'; f.style.width = '${pct}%'; document.getElementById('pct').textContent = '${pct} %'; document.querySelector('.bar').setAttribute('aria-valuenow', '${pct}');`;
      void win.webContents.executeJavaScript(`document.getElementById('msg').textContent = ${JSON.stringify(text)}; ${bar}`).catch(() => undefined);
    },
    close: () => {
      if (!win.isDestroyed()) win.close();
    },
  };
}
