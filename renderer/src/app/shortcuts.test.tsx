// @vitest-environment jsdom
import { act, cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import ko from '../locales/ko/shortcuts.json';
import { initI18n } from './i18n';
import { ShortcutHelp } from './ShortcutHelp';
import { activeShortcuts, dispatchShortcut, matchShortcut, SHORTCUTS, useShortcut, type ShortcutId } from './shortcuts';

const key = (init: KeyboardEventInit) => new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
/** a keydown as the browser sends it: on the focused element (else the body), bubbling to the window */
function press(init: KeyboardEventInit, target: Element = document.activeElement ?? document.body): KeyboardEvent {
  const e = key(init);
  act(() => {
    target.dispatchEvent(e);
  });
  return e;
}

function Bind({ id, fn, enabled }: { id: ShortcutId; fn: () => void; enabled?: boolean }) {
  useShortcut(id, fn, { enabled });
  return null;
}

/** the nested value of `desc.<id>` in a locale file */
const descOf = (file: any, id: string): string => id.split('.').reduce((o, k) => o[k], file.desc);

beforeEach(() => initI18n('ko'));
afterEach(() => {
  cleanup();
  document.body.innerHTML = '';
});

describe('matching on the physical key (event.code), whatever event.key says', () => {
  it('the Korean IME: ㅗ, Process, composing: all H', () => {
    expect(matchShortcut(key({ key: 'ㅗ', code: 'KeyH' }))?.id).toBe('result.heatmap');
    expect(matchShortcut(key({ key: 'Process', code: 'KeyH' }))?.id).toBe('result.heatmap');
    expect(matchShortcut(key({ key: 'Process', code: 'KeyH', isComposing: true }))?.id).toBe('result.heatmap');
    expect(matchShortcut(key({ key: 'ㅐ', code: 'KeyO' }))?.id).toBe('station.open');
    expect(matchShortcut(key({ key: 'ㅏ', code: 'KeyK' }))?.id).toBe('station.camera');
    expect(matchShortcut(key({ key: 'ㄱ', code: 'KeyR' }))?.id).toBe('result.reference');
    expect(matchShortcut(key({ key: 'ㅡ', code: 'KeyM' }))?.id).toBe('result.mask');
  });
  it('modifiers must be the declared ones; ? is Shift+Slash or the key ?; Alt+1 whatever the key', () => {
    expect(matchShortcut(key({ key: 'h', code: 'KeyH', ctrlKey: true }))).toBeUndefined();
    expect(matchShortcut(key({ key: 'h', code: 'KeyH', metaKey: true }))).toBeUndefined();
    expect(matchShortcut(key({ key: 'h', code: 'KeyH', altKey: true }))).toBeUndefined();
    expect(matchShortcut(key({ key: 'H', code: 'KeyH', shiftKey: true }))).toBeUndefined();
    expect(matchShortcut(key({ key: '/', code: 'Slash' }))).toBeUndefined();
    expect(matchShortcut(key({ key: '?', code: 'Slash', shiftKey: true }))?.id).toBe('help');
    expect(matchShortcut(key({ key: '?', code: 'Minus' }))?.id).toBe('help');
    expect(matchShortcut(key({ key: '¡', code: 'Digit1', altKey: true }))?.id).toBe('nav.cylinders');
    expect(matchShortcut(key({ key: '1', code: 'Digit1' }))).toBeUndefined();
    expect(matchShortcut(key({ key: ']', code: 'BracketRight' }))?.id).toBe('result.thresholdUp');
  });
  it('no code (a scripted event): the plain key stands for it', () => {
    expect(matchShortcut(key({ key: 'h' }))?.id).toBe('result.heatmap');
    expect(matchShortcut(key({ key: ' ' }))?.id).toBe('station.capture');
  });
});

describe('the registry: one window listener', () => {
  it('runs the handler for ㅗ/KeyH and Process/KeyH, and prevents the default', () => {
    const fn = vi.fn();
    render(<Bind id="result.heatmap" fn={fn} />);
    const e = press({ key: 'ㅗ', code: 'KeyH' });
    press({ key: 'Process', code: 'KeyH', isComposing: true });
    expect(fn).toHaveBeenCalledTimes(2);
    expect(e.defaultPrevented).toBe(true);
    press({ key: 'ㅡ', code: 'KeyM' });
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('ignores typing targets: text input, textarea, select, contenteditable; not a checkbox or a button', () => {
    const fn = vi.fn();
    render(<Bind id="result.heatmap" fn={fn} />);
    document.body.insertAdjacentHTML(
      'beforeend',
      '<input id="txt" type="text"><input id="num" type="number"><textarea id="ta"></textarea><select id="sel"><option>a</option></select><div id="ce" contenteditable="true"><span id="inner">x</span></div><input id="cb" type="checkbox"><button id="btn">b</button>',
    );
    for (const id of ['txt', 'num', 'ta', 'sel', 'ce', 'inner']) press({ key: 'ㅗ', code: 'KeyH' }, document.getElementById(id)!);
    expect(fn).not.toHaveBeenCalled();
    press({ key: 'ㅗ', code: 'KeyH' }, document.getElementById('cb')!);
    press({ key: 'h', code: 'KeyH' }, document.getElementById('btn')!);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('Space yields to any focused control; Alt+digit works in a text field; repeats only where declared', () => {
    const capture = vi.fn();
    const nav = vi.fn();
    const up = vi.fn();
    const heat = vi.fn();
    render(
      <>
        <Bind id="station.capture" fn={capture} />
        <Bind id="nav.telemetry" fn={nav} />
        <Bind id="result.thresholdUp" fn={up} />
        <Bind id="result.heatmap" fn={heat} />
      </>,
    );
    document.body.insertAdjacentHTML('beforeend', '<button id="btn">b</button><input id="txt">');
    press({ key: ' ', code: 'Space' }, document.getElementById('btn')!);
    expect(capture).not.toHaveBeenCalled();
    press({ key: ' ', code: 'Space' });
    expect(capture).toHaveBeenCalledTimes(1);
    press({ key: '2', code: 'Digit2', altKey: true }, document.getElementById('txt')!);
    expect(nav).toHaveBeenCalledTimes(1);
    press({ key: ']', code: 'BracketRight', repeat: true });
    press({ key: 'h', code: 'KeyH', repeat: true });
    expect(up).toHaveBeenCalledTimes(1);
    expect(heat).not.toHaveBeenCalled();
  });

  it('a disabled shortcut is neither triggered nor active; unmounting removes it; the latest registration wins', () => {
    const off = vi.fn();
    const { rerender, unmount } = render(<Bind id="result.mask" fn={off} enabled={false} />);
    press({ key: 'ㅡ', code: 'KeyM' });
    expect(off).not.toHaveBeenCalled();
    expect(activeShortcuts()).not.toContain('result.mask');
    rerender(<Bind id="result.mask" fn={off} enabled />);
    expect(activeShortcuts()).toContain('result.mask');
    press({ key: 'ㅡ', code: 'KeyM' });
    expect(off).toHaveBeenCalledTimes(1);
    unmount();
    expect(activeShortcuts()).toEqual([]);
    expect(dispatchShortcut(key({ key: 'm', code: 'KeyM' }))).toBe(false);

    const a = vi.fn();
    const b = vi.fn();
    render(
      <>
        <Bind id="result.heatmap" fn={a} />
        <Bind id="result.heatmap" fn={b} />
      </>,
    );
    press({ key: 'h', code: 'KeyH' });
    expect([a.mock.calls.length, b.mock.calls.length]).toEqual([0, 1]);
  });

  it('nothing fires behind a modal dialog', () => {
    const fn = vi.fn();
    render(<Bind id="result.heatmap" fn={fn} />);
    document.body.insertAdjacentHTML('beforeend', '<div role="dialog" aria-modal="true"></div>');
    press({ key: 'ㅗ', code: 'KeyH' });
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('the ? overlay', () => {
  it('in Korean: Shift+Slash opens a labelled modal listing every active shortcut with its key and Korean description; disabled ones are not listed', () => {
    render(
      <>
        <ShortcutHelp />
        <Bind id="result.heatmap" fn={() => undefined} />
        <Bind id="result.mask" fn={() => undefined} />
        <Bind id="station.capture" fn={() => undefined} />
        <Bind id="station.open" fn={() => undefined} enabled={false} />
      </>,
    );
    press({ key: '?', code: 'Slash', shiftKey: true });
    const dialog = screen.getByRole('dialog', { name: '키보드 단축키' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    const rows = within(dialog).getAllByTestId(/^shortcut-row-/);
    expect(rows.map((r) => r.dataset.testid)).toEqual(['help', 'station.capture', 'result.heatmap', 'result.mask'].map((x) => `shortcut-row-${x}`));
    expect(within(dialog).getByTestId('shortcut-row-result.heatmap').textContent).toBe('H히트맵 켜기/끄기');
    expect(within(dialog).getByTestId('shortcut-row-station.capture').textContent).toBe('스페이스바카메라로 촬영해 검사');
    expect(within(dialog).getByTestId('shortcut-row-help').textContent).toBe('?단축키 목록 보기');
    for (const r of rows) {
      const id = r.dataset.testid!.slice('shortcut-row-'.length);
      expect(within(r).getByTestId(`shortcut-desc-${id}`).textContent).toBe(descOf(ko, id));
    }
    expect(within(dialog).queryByTestId('shortcut-row-station.open')).toBeNull();
    // focus is in the dialog and kept there; shortcuts do not fire behind it; Esc closes and focus goes back
    const close = within(dialog).getByTestId('shortcut-help-close');
    expect(document.activeElement).toBe(close);
    press({ key: 'Tab' });
    expect(dialog.contains(document.activeElement)).toBe(true);
    press({ key: 'Tab', shiftKey: true });
    expect(dialog.contains(document.activeElement)).toBe(true);
    press({ key: 'Escape', code: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('every declared shortcut has a Korean and an English description and the trigger button names the overlay', async () => {
    const en = (await import('../locales/en/shortcuts.json')).default;
    for (const s of SHORTCUTS) {
      expect(typeof descOf(ko, s.id)).toBe('string');
      expect(typeof descOf(en, s.id)).toBe('string');
    }
    render(<ShortcutHelp />);
    expect(screen.getByTestId('shortcut-help-open').getAttribute('aria-label')).toBe('키보드 단축키');
  });
});
