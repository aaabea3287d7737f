/**
 * The console's application menu (kiosk mode has none), as a template without Electron so that vitest checks it.
 * DevTools (View → Toggle Developer Tools and its Ctrl+Shift+I / Alt+Cmd+I accelerator) only when `devTools`
 * (development builds; trust.ts devToolsAllowed). Every item is labelled in `lang` (shell-text.ts; Korean unless the OS
 * is English): Electron's own role labels are English on Windows.
 */
import type { MenuItemConstructorOptions } from 'electron';
import { menuText, type ShellLang } from './shell-text';

export function menuTemplate(opts: { devTools: boolean; lang?: ShellLang }): MenuItemConstructorOptions[] {
  const w = menuText(opts.lang ?? 'ko');
  const item = (role: NonNullable<MenuItemConstructorOptions['role']> & keyof typeof w): MenuItemConstructorOptions => ({ role, label: w[role] });
  const view: MenuItemConstructorOptions[] = [
    item('reload'),
    ...(opts.devTools ? [item('toggleDevTools')] : []),
    { type: 'separator' },
    item('resetZoom'),
    item('zoomIn'),
    item('zoomOut'),
    { type: 'separator' },
    item('togglefullscreen'),
  ];
  return [
    { label: 'LineDeck', submenu: [item('about'), { type: 'separator' }, item('quit')] },
    { label: w.edit, submenu: [item('undo'), item('redo'), { type: 'separator' }, item('cut'), item('copy'), item('paste'), item('selectAll')] },
    { label: w.view, submenu: view },
  ];
}
