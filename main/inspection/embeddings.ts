/**
 * Embedding vectors as the database keeps them (float32 little-endian in image_metadata.embedding_vector) and
 * the key that names their space (`name@sha256-prefix` of the model file: embeddings of another model are never
 * compared). Shared by the bank build, the inspection stages and the reference uploads.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ModelEntry } from './engine/models';

export function f32ToBytes(v: Float32Array): Buffer {
  const b = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) b.writeFloatLE(v[i], i * 4);
  return b;
}

export function bytesToF32(b: Buffer): Float32Array {
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

const shaCache = new Map<string, string>();

/** sha-256 of a model file, cached per path, size and mtime. */
function fileSha256(file: string): string {
  const st = fs.statSync(file);
  const key = `${path.resolve(file)}|${st.size}|${st.mtimeMs}`;
  let h = shaCache.get(key);
  if (!h) {
    const hash = crypto.createHash('sha256');
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      let n: number;
      while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) hash.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    h = hash.digest('hex');
    shaCache.set(key, h);
  }
  return h;
}

/** What identifies an embedding space: the model's name and file hash (other models' embeddings are never compared). */
export function embeddingKey(m: ModelEntry): string {
  return `${m.manifest.name}@${fileSha256(m.onnxPath).slice(0, 16)}`;
}
