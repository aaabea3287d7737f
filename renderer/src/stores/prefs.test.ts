import { describe, expect, it } from 'vitest';
import { migratePrefs, nextThemeChoice, resolveTheme, usePrefs } from './prefs';

describe('theme follows the OS unless chosen', () => {
  it('resolves, cycles and migrates', () => {
    expect(resolveTheme('system', 'dark')).toBe('dark');
    expect(resolveTheme('light', 'dark')).toBe('light');
    // on a light OS: system → dark → light → system
    expect(nextThemeChoice('system', 'light')).toBe('dark');
    expect(nextThemeChoice('dark', 'light')).toBe('light');
    expect(nextThemeChoice('light', 'light')).toBe('system');
    expect(nextThemeChoice('system', 'dark')).toBe('light');
    expect(migratePrefs({ lang: 'en', theme: 'light' }, 0)).toEqual({ lang: 'en', themeChoice: 'system' });
    expect(migratePrefs({ lang: 'ko', theme: 'dark' }, 0)).toEqual({ lang: 'ko', themeChoice: 'dark' });
    expect(migratePrefs({ lang: 'ko', themeChoice: 'light' }, 1)).toEqual({ lang: 'ko', themeChoice: 'light' });
  });
  it('an OS change shows only while the choice is system', () => {
    const s = usePrefs.getState();
    s.setThemeChoice('system');
    s.setSystemTheme('dark');
    expect(usePrefs.getState().theme).toBe('dark');
    s.setTheme('light');
    s.setSystemTheme('light');
    s.setSystemTheme('dark');
    expect(usePrefs.getState()).toMatchObject({ theme: 'light', themeChoice: 'light' });
    s.cycleTheme(); // chosen light on a dark OS: light is the "other" look → the OS's look (dark), chosen
    expect(usePrefs.getState()).toMatchObject({ theme: 'dark', themeChoice: 'dark' });
    s.cycleTheme();
    expect(usePrefs.getState()).toMatchObject({ theme: 'dark', themeChoice: 'system' });
  });
});
