/**
 * The preload bridge: exposes exactly `call(name, input)` and `onEvent(handler)` — never ipcRenderer itself.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

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
  platform: process.platform,
});
