/**
 * Stored pictures and artifacts as bytes, for the two picture doors: the host's `GET /api/file/<path>` and
 * Electron's `linedeck://file/<path>` (relayed to the backend). One function behind both, with the checks of the
 * `inspection.file.get` procedure: a live session, its role (viewer or more), its input schema, a path inside the
 * image store. The bytes are read asynchronously and never become base64. A content-addressed path
 * (`ab/cd/<sha>.<ext>`) this console lacks is fetched from the plant database by its hash (main/files), so History
 * on any PC shows any station's pictures; a picture retention removed answers not_found with the date.
 */
import fs from 'node:fs';
import { contract } from '../api/contract';
import { roleAtLeast, type Envelope } from '../api/kit';
import type { App } from '../app';
import { filesModule } from '../files/module';
import { inspectionModule } from '../inspection/module';
import { mimeOf } from '../inspection/store';
import type { FileBody } from './relay';


const spec = contract['inspection.file.get'];

export async function readStoredBytes(app: App, sessionId: string | undefined, rel: string): Promise<Envelope<FileBody>> {
  const user = app.services.auth.sessions.get(sessionId);
  if (!user) return { ok: false, error: { kind: 'unauthenticated', message: 'log in first' } };
  if (!roleAtLeast(user.role, spec.role)) return { ok: false, error: { kind: 'forbidden', message: `reading files needs the ${spec.role} role (you are ${user.role})` } };
  const parsed = spec.input.safeParse({ path: rel });
  if (!parsed.success) return { ok: false, error: { kind: 'validation', message: 'give a stored file path' } };
  const p = parsed.data.path;
  // refuse what could leave the store before touching the file system (the store checks again)
  if (p.includes('\0') || p.includes('\\') || p.startsWith('/') || p.split('/').some((s) => s === '..' || s === '.'))
    return { ok: false, error: { kind: 'validation', message: `not a stored file path: ${p}` } };
  const store = app.instance(inspectionModule).svc.store;
  let abs: string;
  try {
    abs = store.abs(p);
  } catch {
    return { ok: false, error: { kind: 'validation', message: `not a stored file path: ${p}` } };
  }
  try {
    abs = await store.local(p);
  } catch (e) {
    if ((e as Error).name === 'FileNotStoredError') {
      // a picture retention removed says so, with the date (decisions.md, Plant rule 5)
      const removed = await app
        .instance(filesModule)
        .svc.removals([p])
        .catch(() => []);
      if (removed[0]) return { ok: false, error: { kind: 'not_found', message: `removed by retention (${removed[0].removedAt})`, details: { reason: 'removed_by_retention', removedAt: removed[0].removedAt } } };
      return { ok: false, error: { kind: 'not_found', message: `no stored file ${p}` } };
    }
    if ((e as Error).name !== 'FileHashError') return { ok: false, error: { kind: 'unavailable', message: `the file ${p} cannot be fetched from the database: ${(e as Error).message}` } };
    return { ok: false, error: { kind: 'internal', message: (e as Error).message } };
  }
  try {
    const st = await fs.promises.stat(abs);
    if (!st.isFile()) return { ok: false, error: { kind: 'not_found', message: `no stored file ${p}` } };
    const bytes = await fs.promises.readFile(abs);
    return { ok: true, value: { bytes, mime: mimeOf(abs), size: bytes.length } };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return { ok: false, error: { kind: 'not_found', message: `no stored file ${p}` } };
    return { ok: false, error: { kind: 'internal', message: (e as Error).message } };
  }
}
