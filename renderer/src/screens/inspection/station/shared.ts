/** What more than one part of the station screen uses. */

export function isTyping(el: EventTarget | null): boolean {
  const e = el as HTMLElement | null;
  return Boolean(e && (/^(INPUT|TEXTAREA|SELECT|BUTTON|A)$/.test(e.tagName) || e.isContentEditable));
}
