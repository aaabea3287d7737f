/**
 * The words of the Electron shell itself (menu, start-up error box), Korean first, English second (#19). The
 * renderer's locale files cannot reach the main process, so this small table does; pure, so vitest checks it.
 * The language is the OS's (app.getLocale()): English for an English locale, Korean otherwise (a Korean plant).
 */
export type ShellLang = 'ko' | 'en';

export function shellLang(locale: string | undefined | null): ShellLang {
  return /^en\b/i.test(locale ?? '') ? 'en' : 'ko';
}

const MENU = {
  ko: {
    about: 'LineDeck 정보', quit: '끝내기',
    edit: '편집', undo: '실행 취소', redo: '다시 실행', cut: '잘라내기', copy: '복사', paste: '붙여넣기', selectAll: '모두 선택',
    view: '보기', reload: '새로 고침', toggleDevTools: '개발자 도구', resetZoom: '실제 크기', zoomIn: '확대', zoomOut: '축소', togglefullscreen: '전체 화면',
  },
  en: {
    about: 'About LineDeck', quit: 'Quit',
    edit: 'Edit', undo: 'Undo', redo: 'Redo', cut: 'Cut', copy: 'Copy', paste: 'Paste', selectAll: 'Select All',
    view: 'View', reload: 'Reload', toggleDevTools: 'Toggle Developer Tools', resetZoom: 'Actual Size', zoomIn: 'Zoom In', zoomOut: 'Zoom Out', togglefullscreen: 'Toggle Full Screen',
  },
} as const satisfies Record<ShellLang, Record<string, string>>;

export type MenuWord = keyof (typeof MENU)['ko'];

export function menuText(lang: ShellLang): Readonly<Record<MenuWord, string>> {
  return MENU[lang];
}

/** The start-up error box: Korean, then English (read before any language is chosen, maybe by the plant's IT). */
export function startFailedText(message: string): { title: string; content: string } {
  return {
    title: 'LineDeck',
    content: `LineDeck을 시작하지 못했습니다. 로그(LINEDECK_HOME/logs)를 확인하세요.\nLineDeck could not start. See the logs (LINEDECK_HOME/logs).\n\n${message}`,
  };
}
