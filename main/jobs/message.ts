/**
 * A job's progress message that the console shows in the operator's language (#19): a key of the renderer's
 * `job.*` words (renderer/src/locales/<lang>/common.json) with its numbers, carried in the job event's message
 * string as `job.<key> {"i":3,"n":10}`; several parts are joined with ' · '. main/ has no React and no locale
 * files, so the CLI and logs read the same message in English through jobMessageText.
 */
const EN = {
  storingImages: 'storing the normal images',
  bankStart: 'bank',
  features: 'features {{i}}/{{n}}',
  coreset: 'coreset',
  bankPatches: 'bank of {{n}} patches',
  calibration: 'calibration {{i}}/{{n}}',
  done: 'done',
  embeddings: 'embeddings {{i}}/{{n}}',
  storingBank: 'storing the bank',
  completed: 'completed',
  cylRecompute: 'recomputing every cylinder from FCMS and the policies',
  cylSynced: '{{synced}} cylinders, {{changed}} rows written, {{deleted}} removed',
  demoBackfill: 'older demo telemetry: {{i}} of {{n}} days',
} as const;

export type JobMessageKey = keyof typeof EN;
export type JobMessageParams = Record<string, string | number>;

/** `job.features {"i":3,"n":10}` */
export function jobMessage(key: JobMessageKey, params?: JobMessageParams): string {
  return params ? `job.${key} ${JSON.stringify(params)}` : `job.${key}`;
}

const PART = /^job\.(\w+)(?: (\{[^{}]*\}))?$/;

/** one part of a message: its key and numbers, or null for plain text */
export function parseJobMessage(part: string): { key: string; params: JobMessageParams } | null {
  const m = PART.exec(part.trim());
  if (!m) return null;
  try {
    return { key: m[1], params: m[2] ? (JSON.parse(m[2]) as JobMessageParams) : {} };
  } catch {
    return null;
  }
}

/** the message in English, for the CLI and logs; plain text passes through */
export function jobMessageText(message: string): string {
  return message
    .split(' · ')
    .map((part) => {
      const p = parseJobMessage(part);
      const tpl = p && (EN as Record<string, string>)[p.key];
      return tpl ? tpl.replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(p.params[k] ?? '')) : part;
    })
    .join(' · ');
}

/** the English words, for the test that the console's locale files know every key */
export const JOB_MESSAGE_EN: Readonly<Record<JobMessageKey, string>> = EN;
