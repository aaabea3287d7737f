/**
 * The terminal's start-up progress (`npm start` through the browser host): one line per step, a bar and a
 * percentage when the step knows how far the start is, e.g. `[██████░░░░░░░░░░░░░░] 31 %  텔레메트리: …`.
 */
export function progressLine(message: string, fraction?: number, width = 20): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return message;
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)} %  ${message}`;
}
