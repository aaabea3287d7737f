/**
 * A job's progress message in the operator's language (#19). main/ sends `job.<key> {"i":3,"n":10}` parts joined
 * with ' · ' (main/jobs/message.ts; the renderer takes only types from main, so the small parser is repeated
 * here); each part is `common:job.<key>` with its numbers. Plain text (an older backend, an error) passes through.
 */
type T = (key: string, options?: Record<string, unknown>) => string;

const PART = /^job\.(\w+)(?: (\{[^{}]*\}))?$/;

export function jobMessageText(t: T, message: string | null | undefined): string {
  if (!message) return '';
  return message
    .split(' · ')
    .map((part) => {
      const m = PART.exec(part.trim());
      if (!m) return part;
      let params: Record<string, unknown> = {};
      try {
        params = m[2] ? (JSON.parse(m[2]) as Record<string, unknown>) : {};
      } catch {
        return part;
      }
      return t(`common:job.${m[1]}`, { ...params, defaultValue: part });
    })
    .join(' · ');
}
