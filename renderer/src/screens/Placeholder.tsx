import { useTranslation } from 'react-i18next';

export function Placeholder({ ns }: { ns: 'cylinders' | 'telemetry' | 'inspection' }) {
  const { t } = useTranslation();
  return (
    <section className="workspace" aria-labelledby={`${ns}-title`}>
      <h1 id={`${ns}-title`}>{t(`nav.${ns}`)}</h1>
      <p className="muted">{t('common.comingSoon')}</p>
    </section>
  );
}
