/**
 * The preload bridge: exposes exactly `call(name, input)`, `onEvent(handler)` and `fileUrl(path)` — never
 * ipcRenderer itself. Inputs go by structured clone, so a picture travels as a Uint8Array, not as base64.
 * `fileUrl` builds the `linedeck://file/…` URL of a stored picture with this window's key (see electron/main/ipc.ts).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

const KEY_ARG = '--linedeck-window-key=';
const windowKey = process.argv.find((a) => a.startsWith(KEY_ARG))?.slice(KEY_ARG.length) ?? '';

contextBridge.exposeInMainWorld('linedeck', {
  call: (name: string, input: unknown) => {
    if (typeof name !== 'string' || name.length > 100) return Promise.resolve({ ok: false, error: { kind: 'validation', message: 'bad procedure name' } });
    return ipcRenderer.invoke('linedeck:call', name, input);
  },
  onEvent: (handler: (event: string, payload: unknown) => void) => {
    const listener = (_e: IpcRendererEvent, event: string, payload: unknown) => handler(event, payload);
    ipcRenderer.on('linedeck:event', listener);
    return () => ipcRenderer.removeListener('linedeck:event', listener);
  },
  fileUrl: (path: string) => `linedeck://file/${String(path).split('/').map(encodeURIComponent).join('/')}?k=${encodeURIComponent(windowKey)}`,
  platform: process.platform,
});
