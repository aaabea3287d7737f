/** The result view's guide: the manual's cause and action sections for the defect type. */
import { useTranslation } from 'react-i18next';
import type { InspectionDetail } from '../../../../../main/api/types';

export function Guide({ d }: { d: InspectionDetail }) {
  const { t } = useTranslation('inspection');
  const { cause, action } = d.guide;
  if (!d.defectDetected) return null;
  return (
    <section className="card insp-guide" aria-labelledby="guide-title" data-testid="guide">
      <h2 id="guide-title">{t('guide.title')}</h2>
      {!cause.length && !action.length ? (
        <p className="muted">{d.defectType ? t('guide.none') : t('guide.noType')}</p>
      ) : (
        <div className="insp-guide-cols">
          <div>
            <h3>{t('guide.cause')}</h3>
            {cause.map((s) => (
              <article key={s.sectionId} className="insp-section">
                {s.sectionTitle && <h4>{s.sectionTitle}</h4>}
                <p>{s.sectionContent}</p>
              </article>
            ))}
          </div>
          <div>
            <h3>{t('guide.action')}</h3>
            {action.map((s) => (
              <article key={s.sectionId} className="insp-section">
                {s.sectionTitle && <h4>{s.sectionTitle}</h4>}
                <p>{s.sectionContent}</p>
              </article>
            ))}
          </div>
        </div>
      )}
    </section>
  );
}
