/** The station's camera: device choice, preview, capture with Space or the big button. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useInspectionPrefs } from '../store';
import { ShortcutKeys } from '../../../app/ShortcutHelp';
import { useShortcut } from '../../../app/shortcuts';

export function Camera({ onCapture, disabled }: { onCapture: (dataUrl: string) => void; disabled: boolean }) {
  const { t } = useTranslation('inspection');
  const cameraId = useInspectionPrefs((s) => s.cameraId);
  const setPrefs = useInspectionPrefs((s) => s.set);
  const video = useRef<HTMLVideoElement | null>(null);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let stream: MediaStream | null = null;
    let alive = true;
    setReady(false);
    setError(null);
    if (!navigator.mediaDevices?.getUserMedia) {
      setError(t('camera.unsupported'));
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ video: cameraId ? { deviceId: { exact: cameraId }, width: { ideal: 1280 } } : { width: { ideal: 1280 } }, audio: false })
      .catch((e: Error) => {
        // a remembered camera that is gone: fall back to any camera
        if (cameraId && (e.name === 'OverconstrainedError' || e.name === 'NotFoundError')) return navigator.mediaDevices.getUserMedia({ video: true, audio: false });
        throw e;
      })
      .then(async (s) => {
        if (!alive) {
          s.getTracks().forEach((tr) => tr.stop());
          return;
        }
        stream = s;
        if (video.current) {
          video.current.srcObject = s;
          await video.current.play().catch(() => undefined);
        }
        const list = await navigator.mediaDevices.enumerateDevices();
        if (alive) {
          setDevices(list.filter((d) => d.kind === 'videoinput'));
          setReady(true);
        }
      })
      .catch((e: Error) => alive && setError(`${t('camera.failed')}: ${e.message}`));
    return () => {
      alive = false;
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [cameraId, t]);

  const capture = useCallback(() => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    c.getContext('2d')!.drawImage(v, 0, 0);
    onCapture(c.toDataURL('image/png'));
  }, [onCapture]);

  // Space captures (unless a control has the focus: then Space is that control's); app/shortcuts
  useShortcut('station.capture', capture, { enabled: !disabled });

  return (
    <div className="insp-camera" data-testid="camera">
      {devices.length > 0 && (
        <label className="inline-field">
          {t('camera.device')}
          <select value={cameraId ?? ''} onChange={(e) => setPrefs({ cameraId: e.target.value || null })} data-testid="camera-select">
            <option value="">{t('camera.default')}</option>
            {devices.map((d, i) => (
              <option key={d.deviceId || i} value={d.deviceId}>
                {d.label || `${t('camera.device')} ${i + 1}`}
              </option>
            ))}
          </select>
        </label>
      )}
      <video ref={video} className="insp-video" muted playsInline aria-label={t('camera.preview')} />
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="btn btn-primary btn-big insp-shutter" onClick={capture} disabled={!ready || disabled} data-testid="capture">
        ◉ {t('camera.capture')} <ShortcutKeys id="station.capture" />
      </button>
    </div>
  );
}
