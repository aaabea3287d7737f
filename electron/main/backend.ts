/**
 * The backend process of the desktop app: main/backend/entry.ts (built as backend.js beside this bundle) in an
 * Electron utilityProcess, kept alive by the BackendSupervisor. Electron main never loads the station's code (pg,
 * sharp, onnxruntime, bcrypt, the file store): a slow query or a native crash there no longer freezes or kills
 * the window. The OS keychain (safeStorage) stays here; the backend asks for it over the relay.
 */
import path from 'node:path';
import { safeStorage, utilityProcess, type UtilityProcess } from 'electron';
import type { BackendStatus, FromBackend, SecretOp, ToBackend } from '../../main/backend/relay';
import { BackendSupervisor, type BackendChild } from '../../main/backend/supervisor';

/** A utilityProcess as the supervisor's BackendChild: its parent port carries the relay. */
function utilityChild(child: UtilityProcess): BackendChild {
  let exited: { code: number } | undefined;
  const waiting: ((code: number | null, signal: string | null) => void)[] = [];
  child.once('exit', (code) => {
    exited = { code };
    for (const fn of waiting.splice(0)) fn(code, null);
  });
  return {
    port: {
      post: (msg: ToBackend) => child.postMessage(msg),
      onMessage: (fn: (m: FromBackend) => void) => {
        const l = (m: unknown) => fn(m as FromBackend);
        child.on('message', l);
        return () => void child.off('message', l);
      },
    },
    onExit: (fn) => (exited ? fn(exited.code, null) : void waiting.push(fn)),
    kill: () => void child.kill(),
    get pid() {
      return child.pid;
    },
  };
}

export function createBackend(opts: {
  dir: string;
  home: string;
  /** an event with the sessions that may receive it (main/api/audience.ts) */
  onEvent(event: string, payload: unknown, sessions: string[]): void;
  onStatus(s: BackendStatus): void;
  onProgress(message: string, fraction?: number): void;
}): BackendSupervisor {
  // LINEDECK_DATABASE_URL and the other settings reach the backend in its environment (not in its arguments)
  return new BackendSupervisor({
    // asked at each spawn, which comes after app 'ready': before it, safeStorage answers false on Linux and Windows
    spawn: () =>
      utilityChild(
        utilityProcess.fork(path.join(opts.dir, 'backend.js'), ['--home', opts.home, ...(safeStorage.isEncryptionAvailable() ? ['--secrets', 'relay'] : [])], {
          serviceName: 'LineDeck backend',
          stdio: 'inherit',
          env: { ...process.env, LINEDECK_HOME: opts.home },
        }),
      ),
    onEvent: opts.onEvent,
    onStatus: opts.onStatus,
    onProgress: opts.onProgress,
    onSecret: (op: SecretOp, value: string) => (op === 'encrypt' ? safeStorage.encryptString(value).toString('base64') : safeStorage.decryptString(Buffer.from(value, 'base64'))),
  });
}
