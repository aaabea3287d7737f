/**
 * The engine in its worker thread: promise API, progress, cancellation, errors, and a main event loop that keeps
 * ticking while a memory bank builds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from './coreset';
import { InspectionEngine } from './engine';
import { releaseModels } from './models';
import { prepareFixtures, type FixtureSet } from './testing/testkit';

describe('InspectionEngine (worker thread)', () => {
  let fx: FixtureSet;
  let engine: InspectionEngine;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-engine-'));

  beforeAll(async () => {
    fx = prepareFixtures();
    engine = await InspectionEngine.start();
  });
  afterAll(async () => {
    await engine?.close();
    await releaseModels();
    fx?.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs in another thread', async () => {
    expect(engine.inProcess).toBe(false);
    const p = await engine.ping();
    expect(p.threadId).not.toBe(threadId);
    // the embedding lane is a thread of its own
    const lanes = await engine.threadIds();
    expect(new Set([threadId, lanes.patchcore, lanes.embedding]).size).toBe(3);
  });

  it('builds a bank off the main loop: the loop keeps ticking, progress arrives, the bank is saved', async () => {
    const file = path.join(tmp, 'bank.ldbank');
    let ticks = 0;
    let maxGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 10);
    const progress: number[] = [];
    const t0 = performance.now();
    const r = await engine.buildBank({ backbone: fx.backboneModel, images: fx.trainImages, out: file, coresetRatio: 0.1 }, { onProgress: (f) => progress.push(f) });
    const ms = performance.now() - t0;
    clearInterval(timer);
    const [fullN, dim] = fx.expected.bank_size;
    expect(r.bankSize).toEqual([Math.trunc(fullN * 0.1), dim]);
    expect(r.file).toBe(file);
    expect(fs.statSync(file).size).toBeGreaterThan(Math.trunc(fullN * 0.1) * (dim + 1) * 4);
    expect(r.header.normalization?.count).toBe(fx.trainImages.length);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toBe(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
    // a build of ~1 s or more; a 10 ms timer on a free loop ticks about every 10 ms
    expect(ms).toBeGreaterThan(300);
    expect(ticks).toBeGreaterThan(ms / 10 / 4);
    expect(maxGap).toBeLessThan(400);
  });

  it('scores against the saved bank, handing maps back as typed arrays', async () => {
    const file = path.join(tmp, 'bank.ldbank');
    const images = fx.expected.test_order.map((n) => path.join(fx.dir, n));
    const res = await engine.patchcore({ backbone: fx.backboneModel, bank: file, images });
    expect(res.map((r) => r.image)).toEqual(images);
    const { pcSize, grid, normalTests, defectTests } = fx.facts;
    for (const r of res) {
      expect(r.map).toBeInstanceOf(Float32Array);
      expect(r.map!.length).toBe(pcSize * pcSize);
      expect(r.normalizedMap!.length).toBe(pcSize * pcSize);
      expect(r.patchScores.length).toBe(grid[0] * grid[1]);
      expect(r.anomalyScore).toBeGreaterThanOrEqual(0);
      expect(r.anomalyScore).toBeLessThanOrEqual(1);
      expect(r.input.width).toBe(pcSize);
    }
    const byName = Object.fromEntries(res.map((r, k) => [fx.expected.test_order[k], r]));
    const defect = byName[defectTests[0]];
    const good = byName[normalTests[0]];
    expect(defect.anomalyScore).toBeGreaterThan(0.85);
    expect(defect.regions.length).toBeGreaterThan(0);
    expect(defect.regions[0].rawMax).toBeGreaterThan(good.maxPatchDistance * 0.9);
    expect(good.anomalyScore).toBeLessThan(0.85);
  });

  it('inspects in one call (one decode) with the same results as the separate operations, alpha rules included', async () => {
    const file = path.join(tmp, 'bank.ldbank');
    const hole = fs.readFileSync(path.join(fx.dir, fx.facts.defectTests[0]));
    // an RGBA copy with a half-transparent corner: the backbone drops alpha, CLIP composites on white
    const { data, info } = await sharp(hole).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) data[(y * info.width + x) * 4 + 3] = 100;
    const rgba = await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toBuffer();
    for (const bytes of [hole, rgba]) {
      const one = await engine.inspect({ backbone: fx.backboneModel, bank: file, embedding: fx.clipModel, image: new Uint8Array(bytes), name: 'x.png' });
      const [pc] = await engine.patchcore({ backbone: fx.backboneModel, bank: file, images: [new Uint8Array(bytes)] });
      const [em] = await engine.embed({ model: fx.clipModel, images: [new Uint8Array(bytes)] });
      expect(one.patchcore.image).toBe('x.png');
      expect(one.patchcore.imageScore).toBe(pc.imageScore);
      expect(Array.from(one.patchcore.normalizedMap!)).toEqual(Array.from(pc.normalizedMap!));
      expect(Array.from(one.embedding!.normalized)).toEqual(Array.from(em.normalized));
      expect(one.embeddingError).toBeNull();
    }
    // the alpha rule matters here: CLIP's embedding of the RGBA copy differs from the opaque one's
    const a = await engine.inspect({ backbone: fx.backboneModel, bank: file, embedding: fx.clipModel, image: new Uint8Array(hole) });
    const b = await engine.inspect({ backbone: fx.backboneModel, bank: file, embedding: fx.clipModel, image: new Uint8Array(rgba) });
    expect(Array.from(a.embedding!.normalized)).not.toEqual(Array.from(b.embedding!.normalized));
    expect(a.patchcore.imageScore).toBe(b.patchcore.imageScore);
    // a broken embedding model is reported, not thrown
    const c = await engine.inspect({ backbone: fx.backboneModel, bank: file, embedding: path.join(tmp, 'no-such-model'), image: new Uint8Array(hole) });
    expect(c.embedding).toBeNull();
    expect(c.embeddingError).toMatch(/folder not found/);
    expect(c.patchcore.imageScore).toBe(a.patchcore.imageScore);
  });

  it('cancels a bank build and stays usable', async () => {
    const ac = new AbortController();
    const p = engine.buildBank(
      { backbone: fx.backboneModel, images: fx.trainImages, out: path.join(tmp, 'never.ldbank'), coresetRatio: 0.1 },
      { signal: ac.signal, onProgress: () => ac.abort() },
    );
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(fs.existsSync(path.join(tmp, 'never.ldbank'))).toBe(false);
    expect((await engine.ping()).threadId).not.toBe(threadId);
  });

  it('passes errors back with their message', async () => {
    await expect(engine.embed({ model: path.join(tmp, 'no-such-model'), images: ['x.png'] })).rejects.toThrow(/folder not found/);
    await expect(engine.embed({ model: fx.clipModel, images: [path.join(tmp, 'missing.png')] })).rejects.toThrow(/missing\.png.*file not found/);
    const [name, ref] = Object.entries(fx.expected.clip)[0];
    const [e] = await engine.embed({ model: fx.clipModel, images: [path.join(fx.dir, name)] });
    expect(e.embedding.length).toBe(ref.embedding.length);
    expect(Math.abs(e.norm - ref.embedding_l2norm) / ref.embedding_l2norm).toBeLessThan(1e-3);
  });

  it('starts a crashed worker again: the call in flight fails with the reason, the next call is served', async () => {
    const lanes = await engine.threadIds();
    const before = engine.restarts;
    // the embedding lane dies between calls
    await engine.terminateLane('embedding');
    const [name] = Object.keys(fx.expected.clip);
    const [e] = await engine.embed({ model: fx.clipModel, images: [path.join(fx.dir, name)] });
    expect(e.embedding.length).toBeGreaterThan(0);
    // the PatchCore lane dies during a bank build
    const build = engine.buildBank({ backbone: fx.backboneModel, images: fx.trainImages, out: path.join(tmp, 'crash.ldbank'), coresetRatio: 0.1 });
    build.catch(() => undefined);
    await engine.terminateLane('patchcore');
    await expect(build).rejects.toThrow(/inspection engine worker exited/);
    const [pc] = await engine.patchcore({ backbone: fx.backboneModel, bank: path.join(tmp, 'bank.ldbank'), images: [path.join(fx.dir, fx.facts.defectTests[0])] });
    expect(pc.anomalyScore).toBeGreaterThan(0.85);
    expect(engine.restarts).toBe(before + 2);
    const now = await engine.threadIds();
    expect(now.patchcore).not.toBe(lanes.patchcore);
    expect(now.embedding).not.toBe(lanes.embedding);
    // an engine whose worker died and was not called since still closes
    const other = await InspectionEngine.start();
    await other.terminateLane('embedding');
    await other.close();
    await expect(other.ping()).rejects.toThrow(/closed/);
  });

  it('runs both models in one worker when asked (lanes: 1), with the same results', async () => {
    const single = await InspectionEngine.start({ lanes: 1 });
    try {
      const ids = await single.threadIds();
      expect(ids.patchcore).toBe(ids.embedding);
      expect(ids.patchcore).not.toBe(threadId);
      const req = { backbone: fx.backboneModel, bank: path.join(tmp, 'bank.ldbank'), embedding: fx.clipModel, image: new Uint8Array(fs.readFileSync(path.join(fx.dir, fx.facts.defectTests[0]))) };
      const [a, b] = [await single.inspect(req), await engine.inspect(req)];
      expect(a.patchcore.imageScore).toBe(b.patchcore.imageScore);
      expect(Array.from(a.embedding!.normalized)).toEqual(Array.from(b.embedding!.normalized));
    } finally {
      await single.close();
    }
  });

  it('offers the same API in-process', async () => {
    const local = await InspectionEngine.start({ inProcess: true });
    expect(local.inProcess).toBe(true);
    expect((await local.ping()).threadId).toBe(threadId);
    const [name, ref] = Object.entries(fx.expected.clip)[0];
    const [e] = await local.embed({ model: fx.clipModel, images: [path.join(fx.dir, name)] });
    expect(e.embedding.length).toBe(ref.embedding.length);
    await local.close();
    await expect(local.ping()).rejects.toThrow(/closed/);
  });
});
