/** The decode stage alone: real pictures (a generated part, as PNG and as JPEG) and broken ones; no engine, no database. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateImage } from '../synth/generate';
import { decode } from './decode';

describe('decode', () => {
  let dir: string;
  let png: Buffer;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-stage-decode-'));
    png = (await generateImage({ surface: 'machined', level: 'plain', label: 'normal', seed: 'stage-decode', index: 0, size: 96 })).png;
    fs.writeFileSync(path.join(dir, 'part.png'), png);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('decodes once for everything after it: the bytes, their hash, and the RGB pixels', async () => {
    const { decoded, label } = await decode({ path: path.join(dir, 'part.png') });
    expect(label).toBe(path.join(dir, 'part.png'));
    expect(decoded).toMatchObject({ format: 'png', width: 96, height: 96, fileName: 'part.png' });
    expect(decoded.bytes.equals(png)).toBe(true);
    expect(decoded.rgb).toMatchObject({ width: 96, height: 96 });
    const raw = await sharp(png).removeAlpha().raw().toBuffer();
    expect(Buffer.from(decoded.rgb.data).equals(raw)).toBe(true);
  });

  it('names the image by its file name for uploads and bare bytes', async () => {
    const jpg = await sharp(png).resize(120, 80, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    const up = await decode({ base64: jpg.toString('base64'), fileName: 'line.jpg' });
    expect(up.label).toBe('line.jpg');
    expect(up.decoded).toMatchObject({ format: 'jpeg', width: 120, height: 80 });
    expect(up.decoded.rgb.data.length).toBe(120 * 80 * 3);
    expect((await decode(png)).label).toBe('image');
  });

  it('refuses unusable images with a validation error naming the case', async () => {
    fs.writeFileSync(path.join(dir, 'notes.png'), 'this is not a picture');
    await expect(decode({ path: path.join(dir, 'notes.png') })).rejects.toMatchObject({ kind: 'validation', message: /not a readable image/, details: { reason: 'unreadable' } });
    await expect(decode({ base64: png.subarray(0, 400).toString('base64'), fileName: 'cut.png' })).rejects.toMatchObject({ kind: 'validation', message: /cut\.png/, details: { reason: 'damaged' } });
    await expect(decode({ path: path.join(dir, 'nope.png') })).rejects.toMatchObject({ kind: 'validation', details: { reason: 'not_found' } });
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
    await expect(decode(tiny)).rejects.toMatchObject({ kind: 'validation', details: { reason: 'too_small' } });
  });

  it('starts at once and can be left unawaited while something else fails first', async () => {
    const started = decode({ path: path.join(dir, 'nope.png') });
    // an unusable image that nobody awaits yet is not an unhandled rejection (vitest would fail the run)
    await new Promise((r) => setTimeout(r, 20));
    await expect(started).rejects.toMatchObject({ kind: 'validation' });
  });
});
