/**
 * The `?` overlay: every shortcut active now (registered and enabled), grouped, each with its keys as the operator
 * reads them and what it does, in the UI language. A modal dialog: focus moves in and is kept there (Tab cycles),
 * Esc or `?` closes it, focus goes back where it was.
 */
import { Fragment, useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { SHORTCUT_GROUPS, shortcutDef, shortcutKeys, useActiveShortcuts, useShortcut } from './shortcuts';
import './shortcuts.css';

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The keys of one shortcut as <kbd>s (used by the overlay and wherever a control names its key). */
export function ShortcutKeys({ id }: { id: Parameters<typeof shortcutKeys>[0] }) {
  const { t } = useTranslation('shortcuts');
  const keys = shortcutKeys(id, t);
  return (
    <span className="shortcut-keys" data-testid={`shortcut-keys-${id}`}>
      {keys.map((k, i) => (
        <Fragment key={i}>
          {i > 0 && <span aria-hidden>+</span>}
          <kbd>{k}</kbd>
        </Fragment>
      ))}
    </span>
  );
}

export function ShortcutHelp() {
  const { t } = useTranslation('shortcuts');
  const [open, setOpen] = useState(false);
  const active = useActiveShortcuts();
  const dialog = useRef<HTMLDivElement>(null);
  const closeBtn = useRef<HTMLButtonElement>(null);
  const back = useRef<HTMLElement | null>(null);

  const show = () => {
    back.current = document.activeElement as HTMLElement | null;
    setOpen(true);
  };
  useShortcut('help', show);

  useEffect(() => {
    if (open) closeBtn.current?.focus();
  }, [open]);

  const close = () => {
    setOpen(false);
    const el = back.current;
    back.current = null;
    if (el && el.isConnected && el !== document.body) el.focus();
  };

  const onKeyDown = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape' || e.key === '?' || (e.code === 'Slash' && e.shiftKey)) {
      e.preventDefault();
      e.stopPropagation();
      close();
      return;
    }
    if (e.key !== 'Tab' || !dialog.current) return;
    const items = Array.from(dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    const inside = dialog.current.contains(document.activeElement);
    if (e.shiftKey && (document.activeElement === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  };

  const trigger = (
    <button type="button" className="btn btn-ghost shortcut-open" onClick={show} aria-label={t('title')} title={t('title')} aria-haspopup="dialog" data-testid="shortcut-help-open">
      ?
    </button>
  );
  if (!open) return trigger;
  return (
    <>
      {trigger}
      <div className="shortcut-backdrop" onClick={close}>
        <div
          ref={dialog}
          className="shortcut-dialog"
          role="dialog"
          aria-modal="true"
          aria-labelledby="shortcut-help-title"
          aria-describedby="shortcut-help-hint"
          data-testid="shortcut-help"
          onClick={(e) => e.stopPropagation()}
          onKeyDown={onKeyDown}
        >
          <header className="shortcut-head">
            <h2 id="shortcut-help-title">{t('title')}</h2>
            <button ref={closeBtn} type="button" className="btn shortcut-close" onClick={close} data-testid="shortcut-help-close">
              {t('close')}
            </button>
          </header>
          <p id="shortcut-help-hint" className="muted small">
            {t('hint')}
          </p>
          {SHORTCUT_GROUPS.map((g) => {
            const ids = active.filter((id) => shortcutDef(id).group === g);
            if (!ids.length) return null;
            return (
              <section key={g} className="shortcut-group" aria-labelledby={`shortcut-group-${g}`}>
                <h3 id={`shortcut-group-${g}`}>{t(`groups.${g}`)}</h3>
                <dl className="shortcut-list">
                  {ids.map((id) => (
                    <div key={id} className="shortcut-row" data-testid={`shortcut-row-${id}`}>
                      <dt>
                        <ShortcutKeys id={id} />
                      </dt>
                      <dd data-testid={`shortcut-desc-${id}`}>{t(`desc.${id}`)}</dd>
                    </div>
                  ))}
                </dl>
              </section>
            );
          })}
        </div>
      </div>
    </>
  );
}
