/** Per-station display preferences (language, theme), kept in localStorage. */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import type { Lang } from '../app/i18n';

export type Theme = 'light' | 'dark';
interface PrefsState {
  lang: Lang;
  theme: Theme;
  setLang(l: Lang): void;
  setTheme(t: Theme): void;
}

export const usePrefs = create<PrefsState>()(
  persist(
    (set) => ({
      lang: 'ko',
      theme: 'light',
      setLang: (lang) => set({ lang }),
      setTheme: (theme) => set({ theme }),
    }),
    { name: 'linedeck.prefs' },
  ),
);
