import { describe, expect, it } from 'vitest';
import { menuTemplate } from './menu-template';
import { menuText, shellLang, startFailedText } from './shell-text';

const labels = (t: ReturnType<typeof menuTemplate>): string[] =>
  t.flatMap((m) => [m.label ?? '', ...(Array.isArray(m.submenu) ? m.submenu.map((s) => s.label ?? (s.type === 'separator' ? '-' : '')) : [])]);

describe('the shell speaks Korean first', () => {
  it('picks English only for an English OS locale', () => {
    expect(shellLang('ko')).toBe('ko');
    expect(shellLang('ko-KR')).toBe('ko');
    expect(shellLang('en-US')).toBe('en');
    expect(shellLang('en')).toBe('en');
    expect(shellLang('')).toBe('ko');
    expect(shellLang(undefined)).toBe('ko');
  });

  it('labels every menu item (Electron’s role labels are English), in Korean by default', () => {
    const ko = labels(menuTemplate({ devTools: true }));
    expect(ko).not.toContain('');
    expect(ko).toEqual(expect.arrayContaining(['편집', '보기', '실행 취소', '붙여넣기', '새로 고침', '개발자 도구', '끝내기']));
    for (const l of ko) if (l !== '-' && l !== 'LineDeck') expect(l).toMatch(/\p{Script=Hangul}/u);
    const en = labels(menuTemplate({ devTools: true, lang: 'en' }));
    expect(en).toEqual(expect.arrayContaining(['Edit', 'View', 'Undo', 'Paste', 'Reload', 'Quit']));
  });

  it('has the same words in both languages, none left English in Korean', () => {
    const ko = menuText('ko');
    const en = menuText('en');
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    for (const k of Object.keys(ko) as (keyof typeof ko)[]) expect(ko[k]).not.toBe(en[k]);
  });

  it('says a failed start in Korean, then English, then the error', () => {
    const box = startFailedText('port 5432 in use');
    expect(box.content.indexOf('시작하지 못했습니다')).toBeLessThan(box.content.indexOf('could not start'));
    expect(box.content).toMatch(/port 5432 in use$/);
  });
});
