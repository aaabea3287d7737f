import { Menu } from 'electron';
import { menuTemplate } from './menu-template';
import type { ShellLang } from './shell-text';

/** The application menu; `devTools` only in development (see menu-template.ts); labels in `lang`. */
export function buildMenu(opts: { devTools: boolean; lang: ShellLang }): Menu {
  return Menu.buildFromTemplate(menuTemplate(opts));
}
