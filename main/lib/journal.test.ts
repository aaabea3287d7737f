import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry, Journal, JournalDamaged } from './journal';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ld-journal-'));

describe('journal', () => {
  it('keeps data and blobs byte for byte, in append order', async () => {
    const j = new Journal(dir());
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const id = crypto.randomUUID();
      ids.push(id);
      await j.append({ id, kind: 'k', data: { i, text: '검사 ✓' }, blobs: { a: crypto.randomBytes(100 + i), empty: Buffer.alloc(0) } });
    }
    const items = j.list();
    expect(items.map((x) => x.id)).toEqual(ids);
    const e = j.read<{ i: number; text: string }>(items[7].file)!;
    expect(e).toMatchObject({ id: ids[7], kind: 'k', data: { i: 7, text: '검사 ✓' } });
    expect(e.blobs.a.length).toBe(107);
    expect(e.blobs.empty.length).toBe(0);
    // a second journal on the folder (a restart) continues the order after the newest entry
    const again = new Journal(j.dir);
    const late = crypto.randomUUID();
    await again.append({ id: late, kind: 'k', data: null, blobs: {} });
    expect(again.list().at(-1)!.id).toBe(late);
  });

  it('recognizes a torn or changed entry', () => {
    const bytes = encodeEntry({ id: crypto.randomUUID(), kind: 'k', created: new Date().toISOString(), data: { x: 1 }, blobs: { b: Buffer.from('hello') } });
    expect(decodeEntry(bytes).data).toEqual({ x: 1 });
    expect(() => decodeEntry(bytes.subarray(0, bytes.length - 5))).toThrow(JournalDamaged);
    const flipped = Buffer.from(bytes);
    flipped[20] ^= 1;
    expect(() => decodeEntry(flipped)).toThrow(/checksum/);
  });

  it('lets one process forward at a time and takes over a lock whose process is gone', () => {
    const d = dir();
    const j = new Journal(d);
    const held = j.lock();
    expect('release' in held).toBe(true);
    expect(() => j.lock()).toThrow(/already held/);
    (held as { release: () => void }).release();
    // a lock left by a process that no longer runs
    fs.writeFileSync(path.join(d, '.forward.lock'), '999999999');
    const taken = j.lock();
    expect('release' in taken).toBe(true);
    (taken as { release: () => void }).release();
    // a live process's lock (the test runner's parent) is respected
    fs.writeFileSync(path.join(d, '.forward.lock'), String(process.ppid));
    expect(j.lock()).toEqual({ heldBy: process.ppid });
    // and an entry another process removed meanwhile reads as gone
    expect(j.read('000000000000001-000000-00000000-0000-0000-0000-000000000000.ldj')).toBeNull();
  });

  it('drops temporary files of an interrupted append and sets damaged entries aside with the reason', async () => {
    const d = dir();
    const j = new Journal(d);
    const item = await j.append({ id: crypto.randomUUID(), kind: 'k', data: 1, blobs: {} });
    fs.writeFileSync(path.join(d, `${item.file}.x.tmp`), 'half');
    const j2 = new Journal(d);
    expect(fs.readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    j2.noteFailure(item.file, 'refused');
    expect(j2.state(item.file)).toMatchObject({ attempts: 1, lastError: 'refused' });
    j2.setAside(item.file, 'refused 5 times');
    expect(j2.list()).toEqual([]);
    expect(j2.setAsideList()).toEqual([{ file: item.file, reason: 'refused 5 times' }]);
  });
});
