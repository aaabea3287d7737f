/**
 * The result view's action and feedback forms (worker) and their logs. For a verdict still waiting to upload
 * (`d` absent, `target` its UUID) only the forms: what is recorded queues on the station behind the inspection.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCallMutation } from '../../../api/hooks';
import { ErrorState, Field } from '../../../app/ui';
import { fmtDateTime } from '../../../lib/time';
import { hasRole, useSession } from '../../../stores/session';
import type { ActionResult, FeedbackType, InspectionDetail } from '../../../../../main/api/types';

const RESULTS: ActionResult[] = ['resolved', 'pending', 'failed', 'deferred'];
const FEEDBACK_TYPES: FeedbackType[] = ['guide_quality', 'detection_accuracy', 'defect_type', 'other'];

export function ActionPanel({ d, target: pendingTarget }: { d?: InspectionDetail; target?: { clientUuid: string } }) {
  const { t } = useTranslation('inspection');
  const target = d ? { inspectionId: d.inspectionId } : pendingTarget!;
  const formKey = d ? String(d.inspectionId) : pendingTarget!.clientUuid;
  const canAct = useSession(hasRole('worker'));
  const addAction = useCallMutation('inspection.actions.create', ['inspection.inspections.get', 'inspection.inspections.list', 'inspection.actions.pending', 'inspection.dashboard.stats']);
  const addFeedback = useCallMutation('inspection.feedbacks.create', ['inspection.inspections.get', 'inspection.dashboard.stats']);
  const [result, setResult] = useState<ActionResult>('resolved');
  const [taken, setTaken] = useState('');
  const [notes, setNotes] = useState('');
  const [rating, setRating] = useState(0);
  const [fbText, setFbText] = useState('');
  const [fbType, setFbType] = useState<FeedbackType>('guide_quality');
  const [saved, setSaved] = useState<string | null>(null);

  const submitAction = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    try {
      const r = await addAction.mutateAsync({ ...target, actionTaken: taken, actionResult: result, notes: notes || null });
      setTaken('');
      setNotes('');
      setSaved('queued' in r ? t('action.queued') : t('action.saved'));
    } catch {
      /* shown below */
    }
  };
  const submitFeedback = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    try {
      const r = await addFeedback.mutateAsync({ ...target, rating, feedbackText: fbText || null, feedbackType: fbType });
      setRating(0);
      setFbText('');
      setSaved('queued' in r ? t('action.queued') : t('feedback.saved'));
    } catch {
      /* shown below */
    }
  };

  return (
    <section className="insp-act" aria-label={t('action.title')}>
      {canAct && (
        <div className="insp-act-forms">
          <form className="card" onSubmit={submitAction} aria-labelledby="action-title" data-testid="action-form">
            <h2 id="action-title">{t('action.title')}</h2>
            <fieldset className="insp-seg" aria-label={t('action.result')}>
              {RESULTS.map((r) => (
                <label key={r} className={`insp-seg-item${result === r ? ' on' : ''}`}>
                  <input type="radio" name={`action-result-${formKey}`} value={r} checked={result === r} onChange={() => setResult(r)} data-testid={`action-${r}`} />
                  {t(`action.results.${r}`)}
                </label>
              ))}
            </fieldset>
            <Field label={t('action.taken')}>
              <textarea value={taken} onChange={(e) => setTaken(e.target.value)} required maxLength={4000} data-testid="action-text" />
            </Field>
            <Field label={t('action.notes')}>
              <input value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={4000} />
            </Field>
            <button type="submit" className="btn btn-primary btn-big" disabled={addAction.isPending || !taken.trim()} data-testid="action-submit">
              {t('action.submit')}
            </button>
            <ErrorState error={addAction.error} />
          </form>
          <form className="card" onSubmit={submitFeedback} aria-labelledby="feedback-title" data-testid="feedback-form">
            <h2 id="feedback-title">{t('feedback.title')}</h2>
            <fieldset className="insp-seg insp-stars" aria-label={t('feedback.rating')}>
              {[1, 2, 3, 4, 5].map((n) => (
                <label key={n} className={`insp-seg-item${rating >= n ? ' on' : ''}`} title={t(`feedback.ratings.${n}`)}>
                  <input type="radio" name={`rating-${formKey}`} value={n} checked={rating === n} onChange={() => setRating(n)} data-testid={`rating-${n}`} />
                  {'★'} {n}
                </label>
              ))}
            </fieldset>
            <Field label={t('feedback.type')}>
              <select value={fbType} onChange={(e) => setFbType(e.target.value as FeedbackType)} data-testid="feedback-type">
                {FEEDBACK_TYPES.map((x) => (
                  <option key={x} value={x}>
                    {t(`feedback.types.${x}`)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('feedback.text')}>
              <textarea value={fbText} onChange={(e) => setFbText(e.target.value)} maxLength={4000} data-testid="feedback-text" />
            </Field>
            <button type="submit" className="btn btn-primary btn-big" disabled={addFeedback.isPending || rating < 1} data-testid="feedback-submit">
              {t('feedback.submit')}
            </button>
            <ErrorState error={addFeedback.error} />
          </form>
        </div>
      )}
      {saved && (
        <p className="insp-saved" role="status" data-testid="saved">
          ✓ {saved}
        </p>
      )}
      {d && (
      <div className="insp-logs">
        <section aria-labelledby="actions-log-title">
          <h3 id="actions-log-title">{t('action.log')}</h3>
          {d.actions.length === 0 ? (
            <p className="muted">{t('action.none')}</p>
          ) : (
            <ul className="insp-list" data-testid="action-log">
              {d.actions.map((a) => (
                <li key={a.actionId}>
                  <span className={`badge insp-ar-${a.actionResult}`}>{t(`action.results.${a.actionResult}`)}</span> {a.actionTaken}
                  {a.notes && <span className="muted"> — {a.notes}</span>}
                  <div className="muted small">
                    {fmtDateTime(a.actionDate)} · {a.actionBy ?? '—'}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="fb-log-title">
          <h3 id="fb-log-title">{t('feedback.log')}</h3>
          {d.feedbacks.length === 0 ? (
            <p className="muted">{t('feedback.none')}</p>
          ) : (
            <ul className="insp-list" data-testid="feedback-log">
              {d.feedbacks.map((f) => (
                <li key={f.feedbackId}>
                  {'★'.repeat(f.rating)}
                  <span className="muted">{'★'.repeat(5 - f.rating)}</span> {f.feedbackType ? t(`feedback.types.${f.feedbackType}`) : ''} {f.feedbackText}
                  <div className="muted small">
                    {fmtDateTime(f.createdAt)} · {f.user ?? '—'}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      )}
    </section>
  );
}
