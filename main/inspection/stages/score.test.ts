/**
 * The score stage alone: the engine (the parity fixtures' backbone and tiny CLIP as model folders) with a bank
 * built by the engine from the fixtures' normal images, no database. Raw scores are the reference
 * implementation's; the verdict and its regions follow the thresholds given.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InspectionEngine } from '../engine/engine';
import { discoverModels, releaseModels, type ModelEntry, writeModelFolder } from '../engine/models';
import { FIXTURE_DIR as FIX, writeStationModels } from '../engine/testing/testkit';
import { findRegions } from '../engine/regions';
import { extractTar } from '../engine/tar';
import { decode } from './decode';
import { regionToSource, score, type ScoreInput } from './score';

const hasFixtures = fs.existsSync(path.join(FIX, 'fixtures.tar'));
const expected = hasFixtures ? JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8')) : null;

describe('regionToSource', () => {
  const r = { id: 1, bbox: { x: 56, y: 112, width: 28, height: 14 }, area: 300, areaFraction: 300 / 50176, max: 0.97, mean: 0.93, peak: { x: 60, y: 118 }, centroid: { x: 70, y: 119 } };
  it('keeps the raw peak only when given', () => {
    const g = { resize: 'stretch' as const, sourceSize: { width: 224, height: 224 } };
    expect(regionToSource(r, 224, 224, g)).not.toHaveProperty('rawMax');
    expect(regionToSource(r, 224, 224, g, 3.5)).toMatchObject({ x: 56, y: 112, width: 28, height: 14, rawMax: 3.5, peak: { x: 61, y: 119 } });
  });
});

describe.skipIf(!hasFixtures)('score', () => {
  let work: string;
  let engine: InspectionEngine;
  let backbone: ModelEntry;
  let clip: ModelEntry;
  let bankFile: string;
  const input = async (file: string, over: Partial<ScoreInput> = {}): Promise<ScoreInput> => ({
    engine,
    backbone,
    embedding: clip,
    bankFile,
    image: await decode({ path: path.join(work, file) }),
    productCode: 'castS',
    imageThreshold: 0.85,
    pixelThreshold: 0.9,
    ...over,
  });

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-stage-score-'));
    extractTar(path.join(FIX, 'fixtures.tar'), work);
    const models = path.join(work, 'models');
    writeStationModels(models);
    const found = discoverModels([models]).models;
    backbone = found.find((m) => m.manifest.task === 'patchcore-backbone')!;
    clip = found.find((m) => m.manifest.task === 'clip-image-embedding')!;
    engine = await InspectionEngine.start();
    const train = fs.readdirSync(path.join(work, 'pc/train')).sort();
    bankFile = path.join(work, 'bank.ldb');
    await engine.buildBank({ backbone: backbone.dir, images: train.map((f) => path.join(work, 'pc/train', f)), out: bankFile, coresetRatio: 1 });
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
    await releaseModels();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('scores an anomalous image: reference raw scores, a defect verdict, regions where the worst patch is, an embedding', async () => {
    const s = await score(await input('pc/test/hole_0.png'));
    const e = expected.patchcore['pc/test/hole_0.png'];
    expect(s.pc.imageScore).toBeCloseTo(e.image_score, 4);
    expect(s.pc.maxPatchDistance).toBeCloseTo(e.raw_max_patch_distance, 4);
    expect(s.anomaly).toBeGreaterThanOrEqual(0.85);
    expect(s.anomaly).toBeLessThanOrEqual(1);
    expect(s.defectDetected).toBe(true);
    expect(s.regionRule).toBe('pixel_threshold');
    expect(s.regions.length).toBe(s.mapRegions.length);
    expect(s.regions.length).toBeGreaterThan(0);
    const [row, col] = e.argmax_patch_rowcol as [number, number];
    expect(s.regions.some((g) => col * 8 + 4 >= g.x && col * 8 + 4 <= g.x + g.width && row * 8 + 4 >= g.y && row * 8 + 4 <= g.y + g.height)).toBe(true);
    expect(s.pc.normalizedMap.length).toBe(s.pc.mapSize[0] * s.pc.mapSize[1]);
    expect(s.embedding).toBeInstanceOf(Float32Array);
    let norm = 0;
    for (const v of s.embedding!) norm += v * v;
    expect(norm).toBeCloseTo(1, 4);
    expect(s.embeddingError).toBeNull();
  });

  it('a normal image: no defect, no regions, no region rule; without an embedding model no embedding', async () => {
    let engineAnswered = false;
    const s = await score(await input('pc/test/good_0.png', { embedding: null }), () => (engineAnswered = true));
    expect(engineAnswered).toBe(true);
    expect(s.pc.imageScore).toBeCloseTo(expected.patchcore['pc/test/good_0.png'].image_score, 4);
    expect(s).toMatchObject({ defectDetected: false, regions: [], mapRegions: [], regionRule: null, embedding: null, embeddingError: null });
    expect(s.anomaly).toBeLessThan(0.85);
  });

  it('an anomalous verdict with no pixel above the pixel threshold gets the peak\'s own area', async () => {
    // the same normal picture judged at a tiny image threshold and a pixel threshold none of its pixels reach
    const s = await score(await input('pc/test/good_0.png', { imageThreshold: 0.01, pixelThreshold: 0.999999 }));
    expect(s.defectDetected).toBe(true);
    expect(s.regionRule).toBe('peak_60pct');
    expect(s.regions).toHaveLength(1);
    let peak = 0;
    for (const v of s.pc.normalizedMap) peak = Math.max(peak, v);
    expect(s.mapRegions[0].max).toBeCloseTo(peak, 6);
    const [h, w] = s.pc.mapSize;
    expect(s.mapRegions).toEqual(findRegions(s.pc.normalizedMap, w, h, 0.6 * peak, { minArea: 1, limit: 1 }));
  });

  it('refuses a bank built with another backbone: rebuild_bank', async () => {
    const other = writeModelFolder(
      path.join(work, 'models-other/backbone'),
      {
        name: 'other-backbone',
        task: 'patchcore-backbone',
        file: 'model.onnx',
        // the same network with other input settings is another backbone for the bank
        input: { name: 'input', size: [224, 224], resize: 'stretch', interpolation: 'bilinear', scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
        outputs: { features: ['layer2', 'layer3'] },
      },
      path.join(FIX, 'patchcore_backbone.onnx'),
    );
    const otherEntry = discoverModels([path.dirname(other)]).models[0];
    await expect(score(await input('pc/test/good_0.png', { backbone: otherEntry, embedding: null }))).rejects.toMatchObject({ kind: 'conflict', details: { reason: 'rebuild_bank' } });
  });
});
