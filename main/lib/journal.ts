/**
 * A durable, ordered journal of entries in one folder: each entry is one file, written whole to a temporary name,
 * flushed to disk (fsync), renamed into place and the folder flushed, so after a crash or a power cut an entry is
 * either complete or absent. A file also ends with the sha-256 of everything before it: a torn or damaged file is
 * recognized (JournalDamaged) instead of being read as something else.
 *
 * File names sort in the order the entries were appended (a zero-padded millisecond time that never goes back,
 * within this folder, then a counter), so a reader replays them in order. An entry is JSON data plus named binary
 * blobs (an inspection's image and artifacts), kept as bytes, not base64.
 *
 * Format (version 1): "LDJ1" · u32 header length · header JSON {id, kind, created, data, blobs: [{name, size}]}
 * · the blobs' bytes in header order · 32 bytes sha-256 of all the preceding bytes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pidAlive } from './fsutil';

const MAGIC = Buffer.from('LDJ1');
const EXT = '.ldj';
const NAME = /^(\d{15})-(\d{6})-([0-9a-f-]{36})\.ldj$/;

export interface JournalEntry<T = unknown> {
  /** the entry's UUID */
  id: string;
  kind: string;
  /** ISO time the entry was appended */
  created: string;
  data: T;
  blobs: Record<string, Buffer>;
}

export interface JournalItem {
  /** file name (sorts in append order) */
  file: string;
  id: string;
  /** time of the append, from the name */
  createdMs: number;
}

export class JournalDamaged extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`journal entry ${file} is damaged: ${reason}`);
    this.name = 'JournalDamaged';
  }
}

/** The entry's bytes as parts (written with one writev, no copy into one buffer); encodeEntry joins them. */
export function encodeParts(e: JournalEntry): Buffer[] {
  const names = Object.keys(e.blobs);
  const header = Buffer.from(JSON.stringify({ id: e.id, kind: e.kind, created: e.created, data: e.data, blobs: names.map((name) => ({ name, size: e.blobs[name].byteLength })) }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  const parts = [MAGIC, len, header, ...names.map((n) => e.blobs[n])];
  const hash = crypto.createHash('sha256');
  for (const p of parts) hash.update(p);
  return [...parts, hash.digest()];
}

export function encodeEntry(e: JournalEntry): Buffer {
  return Buffer.concat(encodeParts(e));
}

export function decodeEntry<T = unknown>(buf: Buffer, file = 'entry'): JournalEntry<T> {
  if (buf.length < MAGIC.length + 4 + 32 || !buf.subarray(0, 4).equals(MAGIC)) throw new JournalDamaged(file, 'not a journal entry');
  const body = buf.subarray(0, buf.length - 32);
  if (!crypto.createHash('sha256').update(body).digest().equals(buf.subarray(buf.length - 32))) throw new JournalDamaged(file, 'checksum mismatch');
  const hlen = body.readUInt32LE(4);
  if (8 + hlen > body.length) throw new JournalDamaged(file, 'header past the end');
  const header = JSON.parse(body.subarray(8, 8 + hlen).toString('utf8')) as { id: string; kind: string; created: string; data: T; blobs: { name: string; size: number }[] };
  const blobs: Record<string, Buffer> = {};
  let at = 8 + hlen;
  for (const b of header.blobs) {
    if (at + b.size > body.length) throw new JournalDamaged(file, `blob ${b.name} past the end`);
    blobs[b.name] = body.subarray(at, at + b.size);
    at += b.size;
  }
  if (at !== body.length) throw new JournalDamaged(file, 'trailing bytes');
  return { id: header.id, kind: header.kind, created: header.created, data: header.data, blobs };
}

/** Folders whose forwarding lock this process has taken (a lock under our pid in another folder is a predecessor's). */
const LOCKED_HERE = new Set<string>();


function fsyncDir(dir: string): void {
  // Windows cannot open a folder for fsync; NTFS journals the rename itself
  if (process.platform === 'win32') return;
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class Journal {
  private lastMs = 0;
  private counter = 0;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    // names never go back in time, even when the clock does: start after the newest entry on disk
    const last = this.list().at(-1);
    if (last) this.lastMs = last.createdMs;
    // temporary files of appends a crash interrupted are not entries; another live process's append in progress is
    // left alone (its pid is in the name)
    for (const f of fs.readdirSync(dir)) {
      const m = /\.(\d+)\.tmp$/.exec(f);
      if (f.endsWith('.tmp') && (!m || (Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))))) fs.rmSync(path.join(dir, f), { force: true });
    }
  }

  private nextName(id: string): { file: string; ms: number } {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.counter = 0;
    } else this.counter++;
    if (this.counter > 999_999) {
      this.lastMs++;
      this.counter = 0;
    }
    return { file: `${String(this.lastMs).padStart(15, '0')}-${String(this.counter).padStart(6, '0')}-${id}${EXT}`, ms: this.lastMs };
  }

  /**
   * Appends an entry durably; resolves once it is on disk. The writes are synchronous on purpose: an entry is a
   * few hundred kilobytes and one fsync (about 1–2 ms here), and libuv's four threads are busy with the
   * inspection's image and artifact work at that moment; queued behind them the same write took 10+ ms.
   */
  async append(e: Omit<JournalEntry, 'created'> & { created?: string }): Promise<JournalItem> {
    const { file, ms } = this.nextName(e.id);
    const parts = encodeParts({ ...e, created: e.created ?? new Date(ms).toISOString() });
    const total = parts.reduce((n, p) => n + p.length, 0);
    const target = path.join(this.dir, file);
    const tmp = `${target}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      const wrote = fs.writevSync(fd, parts);
      if (wrote !== total) {
        // a short write (rare): the rest, from one buffer
        const bytes = Buffer.concat(parts);
        let at = wrote;
        while (at < total) at += fs.writeSync(fd, bytes, at, total - at);
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    fsyncDir(this.dir);
    return { file, id: e.id, createdMs: ms };
  }

  /** The entries in append order. */
  list(): JournalItem[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: JournalItem[] = [];
    for (const f of names.sort()) {
      const m = NAME.exec(f);
      if (m) out.push({ file: f, id: m[3], createdMs: Number(m[1]) });
    }
    return out;
  }

  /** The entry, or null when it is gone (another forwarder wrote and removed it meanwhile). */
  read<T = unknown>(file: string): JournalEntry<T> | null {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(this.dir, file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return decodeEntry<T>(bytes, file);
  }

  /**
   * Takes the folder's forwarding lock (a file holding this process's id; one left by a process that is gone is
   * taken over), so two processes on one LINEDECK_HOME (the station and `linedeck outbox --forward`) do not
   * forward the same entries at once. Returns the release function, or the holder's pid when another process has it.
   */
  lock(): { release: () => void } | { heldBy: number } {
    const file = path.join(this.dir, '.forward.lock');
    // created whole (a temporary file hard-linked into place), so nobody reads it half-written
    const mine = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(mine, String(process.pid));
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          fs.linkSync(mine, file);
          LOCKED_HERE.add(this.dir);
          return { release: () => fs.rmSync(file, { force: true }) };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          const pid = Number(fs.readFileSync(file, 'utf8').trim());
          // this process's own pid before it ever locked: a lock left by the previous process (a restart under the
          // same pid, as in a container), so stale
          const stale = !Number.isInteger(pid) || pid <= 0 || (pid === process.pid ? !LOCKED_HERE.has(this.dir) : !pidAlive(pid));
          if (pid === process.pid && LOCKED_HERE.has(this.dir)) throw new Error('the outbox lock is already held by this process');
          if (!stale) return { heldBy: pid };
          fs.rmSync(file, { force: true });
        }
      }
      return { heldBy: -1 };
    } finally {
      fs.rmSync(mine, { force: true });
    }
  }

  /** The kind of an entry from its header only (the listing does not read the blobs), or null. */
  peekKind(file: string): string | null {
    let fd: number;
    try {
      fd = fs.openSync(path.join(this.dir, file), 'r');
    } catch {
      return null;
    }
    try {
      const head = Buffer.alloc(8);
      if (fs.readSync(fd, head, 0, 8, 0) < 8 || !head.subarray(0, 4).equals(MAGIC)) return null;
      const hlen = head.readUInt32LE(4);
      if (hlen > 16 * 1024 * 1024) return null;
      const header = Buffer.alloc(hlen);
      fs.readSync(fd, header, 0, hlen, 8);
      return (JSON.parse(header.toString('utf8')) as { kind?: string }).kind ?? null;
    } catch {
      return null;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Puts every set-aside entry back in the queue, in its place by name; returns how many. */
  restoreSetAside(): number {
    const dir = path.join(this.dir, 'refused');
    let n = 0;
    for (const { file } of this.setAsideList()) {
      fs.renameSync(path.join(dir, file), path.join(this.dir, file));
      fs.rmSync(path.join(dir, `${file}.reason.txt`), { force: true });
      n++;
    }
    return n;
  }

  remove(file: string): void {
    fs.rmSync(path.join(this.dir, file), { force: true });
    fs.rmSync(path.join(this.dir, `${file}.state.json`), { force: true });
  }

  /** What the forwarder noted about an entry (attempts, last error); absent before its first failure. */
  state(file: string): { attempts: number; lastError: string | null; lastAttempt: string | null } {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, `${file}.state.json`), 'utf8'));
    } catch {
      return { attempts: 0, lastError: null, lastAttempt: null };
    }
  }

  noteFailure(file: string, error: string): void {
    const s = this.state(file);
    fs.writeFileSync(path.join(this.dir, `${file}.state.json`), JSON.stringify({ attempts: s.attempts + 1, lastError: error, lastAttempt: new Date().toISOString() }));
  }

  /** Moves an entry that can never be written (the database refuses it, or it is damaged) aside, kept for a person. */
  setAside(file: string, reason: string): void {
    const dir = path.join(this.dir, 'refused');
    fs.mkdirSync(dir, { recursive: true });
    try {
      fs.renameSync(path.join(this.dir, file), path.join(dir, file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    fs.writeFileSync(path.join(dir, `${file}.reason.txt`), reason);
    fs.rmSync(path.join(this.dir, `${file}.state.json`), { force: true });
  }

  /** Entries set aside (setAside), with their reasons. */
  setAsideList(): { file: string; reason: string }[] {
    const dir = path.join(this.dir, 'refused');
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return [];
    }
    return names
      .filter((f) => NAME.test(f))
      .sort()
      .map((file) => {
        let reason = '(no reason recorded)';
        try {
          reason = fs.readFileSync(path.join(dir, `${file}.reason.txt`), 'utf8');
        } catch {
          /* set aside just before a crash: the entry is kept all the same */
        }
        return { file, reason };
      });
  }
}
