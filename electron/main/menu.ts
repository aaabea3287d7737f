import { Menu } from 'electron';
import { menuTemplate } from './menu-template';

/** The application menu; `devTools` only in development (see menu-template.ts). */
export function buildMenu(opts: { devTools: boolean }): Menu {
  return Menu.buildFromTemplate(menuTemplate(opts));
}
