/**
 * A tiny reader for ustar / POSIX tar archives (what `tar` and Python's tarfile write by default), used to unpack
 * test fixtures and model bundles without a dependency. Regular files and directories only; pax headers are
 * honoured for long names, links and devices are skipped.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface TarEntry {
  name: string;
  type: 'file' | 'directory';
  size: number;
  data: Buffer;
}

function cstr(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end < 0 || end > start + len ? start + len : end);
}

function octal(buf: Buffer, start: number, len: number): number {
  // GNU base-256 for big sizes: first byte has the high bit set
  if (buf[start] & 0x80) {
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + buf[i];
    return v;
  }
  const s = cstr(buf, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`tar: bad octal field "${s}"`);
  return parseInt(s, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = octal(header, 148, 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
  return sum === stored;
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = parseInt(data.toString('utf8', pos, sp), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = data.toString('utf8', sp + 1, pos + len - 1); // drop trailing \n
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** Parses a whole tar archive held in memory. Throws on a damaged header. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  while (pos + 512 <= archive.length) {
    const header = archive.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    if (!checksumOk(header)) throw new Error(`tar: bad header checksum at offset ${pos}`);
    const size = octal(header, 124, 12);
    const typeflag = String.fromCharCode(header[156] || 0x30);
    const magic = header.toString('ascii', 257, 262);
    let name = cstr(header, 0, 100);
    if (magic === 'ustar') {
      const prefix = cstr(header, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const dataStart = pos + 512;
    if (dataStart + size > archive.length) throw new Error(`tar: entry "${name}" is truncated`);
    const data = archive.subarray(dataStart, dataStart + size);
    pos = dataStart + Math.ceil(size / 512) * 512;

    if (typeflag === 'x') {
      pax = parsePax(data);
      continue;
    }
    if (typeflag === 'g') continue;
    if (typeflag === 'L') {
      longName = cstr(data, 0, data.length);
      continue;
    }
    if (pax.path) name = pax.path;
    if (longName) name = longName;
    pax = {};
    longName = undefined;
    if (typeflag === '0' || typeflag === '\0' || typeflag === '7') {
      entries.push({ name, type: 'file', size, data: Buffer.from(data) });
    } else if (typeflag === '5') {
      entries.push({ name: name.replace(/\/$/, ''), type: 'directory', size: 0, data: Buffer.alloc(0) });
    }
  }
  return entries;
}

/** Extracts a tar file into `destDir` (created if needed); refuses paths that would escape it. Returns the files written. */
export function extractTar(tarFile: string, destDir: string): string[] {
  const entries = readTar(fs.readFileSync(tarFile));
  const root = path.resolve(destDir);
  fs.mkdirSync(root, { recursive: true });
  const written: string[] = [];
  for (const e of entries) {
    const target = path.resolve(root, e.name);
    if (target !== root && !target.startsWith(root + path.sep)) throw new Error(`tar: entry "${e.name}" escapes the destination`);
    if (e.type === 'directory') {
      fs.mkdirSync(target, { recursive: true });
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, e.data);
      written.push(target);
    }
  }
  return written;
}
