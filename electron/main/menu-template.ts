/**
 * The console's application menu (kiosk mode has none), as a template without Electron so that vitest checks it.
 * DevTools (View → Toggle Developer Tools and its Ctrl+Shift+I / Alt+Cmd+I accelerator) only when `devTools`
 * (development builds; trust.ts devToolsAllowed).
 */
import type { MenuItemConstructorOptions } from 'electron';

export function menuTemplate(opts: { devTools: boolean }): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    { role: 'reload' },
    ...(opts.devTools ? [{ role: 'toggleDevTools' } as const] : []),
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  return [
    { label: 'LineDeck', submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'quit' }] },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: 'View', submenu: view },
  ];
}
