/** i18next: Korean first, English second. One namespace per workspace (renderer/src/locales/<lang>/<ns>.json). */
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';

const modules = import.meta.glob('../locales/*/*.json', { eager: true, import: 'default' }) as Record<string, Record<string, unknown>>;
const resources: Record<string, Record<string, Record<string, unknown>>> = {};
for (const [file, data] of Object.entries(modules)) {
  const m = /locales\/(\w+)\/(\w+)\.json$/.exec(file);
  if (!m) continue;
  (resources[m[1]] ??= {})[m[2]] = data;
}

export const LANGS = ['ko', 'en'] as const;
export type Lang = (typeof LANGS)[number];

export function initI18n(lang: Lang): typeof i18n {
  void i18n.use(initReactI18next).init({
    resources,
    lng: lang,
    fallbackLng: 'en',
    ns: Object.keys(resources.ko ?? {}),
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  document.documentElement.lang = lang;
  return i18n;
}
export { i18n };
