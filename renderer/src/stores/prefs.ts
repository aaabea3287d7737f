/**
 * Per-station display preferences (language, theme), kept in localStorage.
 *
 * Theme (issue #19 "Habits"): follows the OS (`prefers-color-scheme`, live) until the user picks light or dark in the
 * header; the pick is kept, and "system" hands it back to the OS. `theme` is the one in effect, `themeChoice` the pick.
 */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import type { Lang } from '../app/i18n';

export type Theme = 'light' | 'dark';
export type ThemeChoice = 'system' | Theme;
interface PrefsState {
  lang: Lang;
  /** in effect: the choice, or the OS's when the choice is "system" */
  theme: Theme;
  themeChoice: ThemeChoice;
  /** the OS's scheme now (not persisted) */
  systemTheme: Theme;
  setLang(l: Lang): void;
  /** an explicit choice */
  setTheme(t: Theme): void;
  setThemeChoice(c: ThemeChoice): void;
  /** the header's button: system → the other look → the OS's look, chosen → system */
  cycleTheme(): void;
  setSystemTheme(t: Theme): void;
}

export function resolveTheme(choice: ThemeChoice, system: Theme): Theme {
  return choice === 'system' ? system : choice;
}
export function nextThemeChoice(choice: ThemeChoice, system: Theme): ThemeChoice {
  const other: Theme = system === 'dark' ? 'light' : 'dark';
  if (choice === 'system') return other;
  if (choice === other) return system;
  return 'system';
}
/** Stored state of version 0 held only `theme`, 'light' by default whether picked or not: light → system, dark stays. */
export function migratePrefs(persisted: unknown, version: number): { lang?: Lang; themeChoice: ThemeChoice } {
  const p = (persisted ?? {}) as { lang?: Lang; theme?: Theme; themeChoice?: ThemeChoice };
  if (version >= 1 && p.themeChoice) return { lang: p.lang, themeChoice: p.themeChoice };
  return { lang: p.lang, themeChoice: p.theme === 'dark' ? 'dark' : 'system' };
}

const DARK_QUERY = '(prefers-color-scheme: dark)';
const media = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia(DARK_QUERY) : null;
const osTheme = (): Theme => (media?.matches ? 'dark' : 'light');

export const usePrefs = create<PrefsState>()(
  persist(
    (set, get) => ({
      lang: 'ko',
      theme: osTheme(),
      themeChoice: 'system',
      systemTheme: osTheme(),
      setLang: (lang) => set({ lang }),
      setTheme: (theme) => set({ themeChoice: theme, theme }),
      setThemeChoice: (themeChoice) => set({ themeChoice, theme: resolveTheme(themeChoice, get().systemTheme) }),
      cycleTheme: () => get().setThemeChoice(nextThemeChoice(get().themeChoice, get().systemTheme)),
      setSystemTheme: (systemTheme) => set({ systemTheme, theme: resolveTheme(get().themeChoice, systemTheme) }),
    }),
    {
      name: 'linedeck.prefs',
      version: 1,
      partialize: (s) => ({ lang: s.lang, themeChoice: s.themeChoice }),
      migrate: (persisted, version) => migratePrefs(persisted, version) as unknown as PrefsState,
      merge: (persisted, current) => {
        const m = { ...current, ...(persisted as Partial<PrefsState>) };
        return { ...m, theme: resolveTheme(m.themeChoice, m.systemTheme) };
      },
    },
  ),
);

// the OS's scheme, live: a change shows at once where the choice is "system"
media?.addEventListener('change', (e) => usePrefs.getState().setSystemTheme(e.matches ? 'dark' : 'light'));
