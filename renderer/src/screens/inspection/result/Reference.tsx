/** The result view's reference picture (or the stored comparison artifact). */
import { useTranslation } from 'react-i18next';
import type { InspectionDetail } from '../../../../../main/api/types';
import { useStoredImage } from '../common';
import { fmtScore } from '../logic';

export function Reference({ d }: { d: InspectionDetail }) {
  const { t } = useTranslation('inspection');
  const ref = useStoredImage(d.referenceImage?.filePath ?? null);
  const cmp = useStoredImage(d.referenceImage ? null : d.result?.artifacts.comparison);
  const url = ref.url ?? cmp.url;
  return (
    <figure className="insp-ref" data-testid="reference-view">
      {url ? <img src={url} alt={t('view.reference')} /> : <div className="insp-layer-wait" />}
      <figcaption className="muted small">
        {d.referenceImage ? t('view.referenceOf', { name: d.referenceImage.fileName, sim: fmtScore(d.similarityScore) }) : t('view.comparisonArtifact')}
      </figcaption>
    </figure>
  );
}
