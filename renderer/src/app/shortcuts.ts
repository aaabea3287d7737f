/**
 * The one keyboard shortcut layer (#19): every shortcut of the console is declared here once, matched on
 * `event.code` (the physical key), so it works whatever `event.key` says — 'ㅗ' or 'Process' with the Korean IME
 * on, '¡' for Alt+1 on a Mac. One window listener; screens register handlers with `useShortcut(id, handler)`.
 *
 * Rules: a shortcut fires only with exactly its declared modifiers (Ctrl, Alt, Meta, Shift), never while the
 * operator types (text inputs, text areas, selects, contenteditable; Alt combinations excepted), never behind a modal dialog, and not on
 * auto-repeat unless declared. A key that focused controls use themselves (Space) yields to any focused control.
 * The `?` overlay (ShortcutHelp) lists the shortcuts registered and enabled now, in the operator's language.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';

export type ShortcutGroup = 'general' | 'station' | 'result';

export interface ShortcutDef {
  id: string;
  /** physical keys (KeyboardEvent.code) */
  codes: readonly string[];
  group: ShortcutGroup;
  alt?: boolean;
  shift?: boolean;
  /** also matches this `event.key` with no Ctrl/Alt/Meta, whatever the code (`?` on layouts where it is not Shift+/) */
  key?: string;
  /** fires on auto-repeat (holding the key down) */
  repeat?: boolean;
  /** a key that focused controls use (Space presses a button): ignored whenever a control has the focus */
  controlKey?: boolean;
}

export const SHORTCUTS = [
  { id: 'help', codes: ['Slash'], shift: true, key: '?', group: 'general' },
  { id: 'nav.cylinders', codes: ['Digit1', 'Numpad1'], alt: true, group: 'general' },
  { id: 'nav.telemetry', codes: ['Digit2', 'Numpad2'], alt: true, group: 'general' },
  { id: 'nav.inspection', codes: ['Digit3', 'Numpad3'], alt: true, group: 'general' },
  { id: 'nav.admin', codes: ['Digit4', 'Numpad4'], alt: true, group: 'general' },
  { id: 'station.open', codes: ['KeyO'], group: 'station' },
  { id: 'station.camera', codes: ['KeyK'], group: 'station' },
  { id: 'station.capture', codes: ['Space'], group: 'station', controlKey: true },
  { id: 'result.heatmap', codes: ['KeyH'], group: 'result' },
  { id: 'result.mask', codes: ['KeyM'], group: 'result' },
  { id: 'result.reference', codes: ['KeyR'], group: 'result' },
  { id: 'result.thresholdDown', codes: ['BracketLeft'], group: 'result', repeat: true },
  { id: 'result.thresholdUp', codes: ['BracketRight'], group: 'result', repeat: true },
] as const satisfies readonly ShortcutDef[];

export type ShortcutId = (typeof SHORTCUTS)[number]['id'];
export const SHORTCUT_GROUPS: readonly ShortcutGroup[] = ['general', 'station', 'result'];

const BY_ID = new Map<string, ShortcutDef>(SHORTCUTS.map((s) => [s.id, s]));
export function shortcutDef(id: ShortcutId): ShortcutDef {
  return BY_ID.get(id)!;
}

/** The operator is typing: a text field, a text area, a select (type-ahead) or editable content has the key. */
export function isTypingTarget(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return false;
  if (el.isContentEditable || el.closest?.('[contenteditable]:not([contenteditable="false"])')) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !/^(checkbox|radio|range|button|submit|reset|color|file|image)$/i.test((el as HTMLInputElement).type);
  return false;
}

/** A control that uses Space/Enter itself (a button, a link, any input, a select, a summary, an ARIA widget). */
export function isControlTarget(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return false;
  if (isTypingTarget(el) || /^(BUTTON|A|INPUT|SUMMARY)$/.test(el.tagName)) return true;
  const role = el.getAttribute?.('role');
  return Boolean(role && /^(button|link|checkbox|radio|switch|tab|menuitem|option|slider|spinbutton|textbox|combobox)$/.test(role));
}

/** When `event.code` is empty (some virtual keyboards, scripted events): the code the key stands for, if it is plain. */
function codeOf(e: KeyboardEvent): string {
  if (e.code) return e.code;
  const k = e.key ?? '';
  if (/^[a-z]$/i.test(k)) return `Key${k.toUpperCase()}`;
  if (/^[0-9]$/.test(k)) return `Digit${k}`;
  return ({ ' ': 'Space', '[': 'BracketLeft', ']': 'BracketRight', '/': 'Slash', '?': 'Slash' } as Record<string, string>)[k] ?? '';
}

/** The declared shortcut this key event stands for (ignores what is registered, typing and dialogs). */
export function matchShortcut(e: KeyboardEvent): ShortcutDef | undefined {
  if (e.ctrlKey || e.metaKey) return undefined;
  const code = codeOf(e);
  for (const s of SHORTCUTS as readonly ShortcutDef[]) {
    if (s.key && e.key === s.key && !e.altKey) return s;
    if (!s.codes.includes(code)) continue;
    if (Boolean(s.alt) !== e.altKey || Boolean(s.shift) !== e.shiftKey) continue;
    return s;
  }
  return undefined;
}

// ─── the registry ────────────────────────────────────────────────────────────────────────────────────────────────

type Handler = (e: KeyboardEvent) => void;
interface Entry {
  id: ShortcutId;
  run: Handler;
}
const entries: Entry[] = [];
const subscribers = new Set<() => void>();
let active: readonly ShortcutId[] = [];

function changed(): void {
  const ids = new Set(entries.map((x) => x.id));
  active = SHORTCUTS.map((s) => s.id).filter((id) => ids.has(id));
  subscribers.forEach((f) => f());
}

function modalOpen(): boolean {
  return typeof document !== 'undefined' && document.querySelector('[aria-modal="true"]') != null;
}

/** Runs the registered handler for this key event, if any; returns whether one ran. The window listener calls this. */
export function dispatchShortcut(e: KeyboardEvent): boolean {
  if (e.defaultPrevented) return false;
  const s = matchShortcut(e);
  if (!s) return false;
  if (e.repeat && !s.repeat) return false;
  // a shortcut with Alt types nothing: it works in a text field too
  if ((!s.alt && isTypingTarget(e.target)) || (s.controlKey && isControlTarget(e.target))) return false;
  if (modalOpen()) return false;
  // the latest registration of an id wins (a view shown over another)
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].id === s.id) {
      e.preventDefault();
      entries[i].run(e);
      return true;
    }
  }
  return false;
}

const onKeyDown = (e: KeyboardEvent) => void dispatchShortcut(e);

/** Registers a handler for a declared shortcut; returns the function that removes it. */
export function registerShortcut(id: ShortcutId, run: Handler): () => void {
  if (!BY_ID.has(id)) throw new Error(`unknown shortcut ${id}`);
  const entry: Entry = { id, run };
  if (entries.length === 0 && typeof window !== 'undefined') window.addEventListener('keydown', onKeyDown);
  entries.push(entry);
  changed();
  return () => {
    const i = entries.indexOf(entry);
    if (i < 0) return;
    entries.splice(i, 1);
    if (entries.length === 0 && typeof window !== 'undefined') window.removeEventListener('keydown', onKeyDown);
    changed();
  };
}

/** The shortcuts registered and enabled now, in declaration order. */
export function activeShortcuts(): readonly ShortcutId[] {
  return active;
}

function subscribe(f: () => void): () => void {
  subscribers.add(f);
  return () => subscribers.delete(f);
}

/** The active shortcuts, re-rendering when they change. */
export function useActiveShortcuts(): readonly ShortcutId[] {
  return useSyncExternalStore(subscribe, activeShortcuts, activeShortcuts);
}

/** Binds `handler` to a declared shortcut while the component is mounted and `enabled` (default true). */
export function useShortcut(id: ShortcutId, handler: Handler, opts: { enabled?: boolean } = {}): void {
  const enabled = opts.enabled ?? true;
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => {
    if (!enabled) return;
    return registerShortcut(id, (e) => ref.current(e));
  }, [id, enabled]);
}

/** The key caps of a shortcut, as the operator reads them (`t` from the 'shortcuts' namespace names Space, Alt…). */
export function shortcutKeys(id: ShortcutId, t: (key: string) => string): string[] {
  const s = shortcutDef(id);
  if (s.key) return [s.key];
  const code = s.codes[0];
  const main = /^Key[A-Z]$/.test(code)
    ? code.slice(3)
    : /^Digit\d$/.test(code)
      ? code.slice(5)
      : (({ BracketLeft: '[', BracketRight: ']', Slash: '/' } as Record<string, string>)[code] ?? t(`keys.${code}`));
  return [...(s.alt ? [t('keys.Alt')] : []), ...(s.shift ? [t('keys.Shift')] : []), main];
}
