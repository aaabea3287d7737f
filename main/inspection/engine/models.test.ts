import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverModels, loadModel, parseManifest, releaseModels, writeModelFolder, type RawManifest } from './models';
import { ortThreads } from './ort';
import { BACKBONE_FIXTURE_MANIFEST, CLIP_FIXTURE_MANIFEST, FIXTURE_DIR } from './testing/testkit';

const CLIP_ONNX = path.join(FIXTURE_DIR, 'clip_tiny.onnx');
const PC_ONNX = path.join(FIXTURE_DIR, 'patchcore_backbone.onnx');

describe('model.json validation', () => {
  it('fills task defaults and keeps extra metadata', () => {
    const clip = parseManifest({ name: 'c', task: 'clip-image-embedding', input: { size: [224, 224] }, outputs: { embedding: 'image_embeds' }, license: 'MIT' });
    expect(clip.input).toEqual({
      name: 'pixel_values',
      size: [224, 224],
      resize: 'shortest-edge-center-crop',
      interpolation: 'bicubic',
      scale: 1 / 255,
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
      layout: 'NCHW',
    });
    expect(clip.file).toBe('model.onnx');
    const bb = parseManifest({ name: 'b', task: 'patchcore-backbone', input: { size: [256, 256] }, outputs: { features: ['l2', 'l3'] } });
    expect(bb.input.mean).toEqual([0.485, 0.456, 0.406]);
    expect(bb.input.name).toBe('input');
    const an = parseManifest({ name: 'a', task: 'anomaly-model', input: { size: [256, 256] }, outputs: {} });
    expect(an.outputs).toEqual({ pred_score: 'pred_score', anomaly_map: 'anomaly_map' });
    expect(an.input.std).toEqual([1, 1, 1]);
  });

  it.each<[string, unknown, RegExp]>([
    ['unknown task', { name: 'x', task: 'detector', input: { size: [224, 224] }, outputs: {} }, /task/],
    ['clip without outputs.embedding', { name: 'x', task: 'clip-image-embedding', input: { size: [224, 224] }, outputs: { features: ['a', 'b'] } }, /outputs/],
    ['one feature map', { name: 'x', task: 'patchcore-backbone', input: { size: [224, 224] }, outputs: { features: ['a'] } }, /outputs\.features/],
    ['a typo in input', { name: 'x', task: 'patchcore-backbone', input: { size: [224, 224], interpolaton: 'bicubic' }, outputs: { features: ['a', 'b'] } }, /interpolaton/],
    ['a bad size', { name: 'x', task: 'clip-image-embedding', input: { size: [224] }, outputs: { embedding: 'e' } }, /size/],
    ['a file outside the folder', { name: 'x', file: '../m.onnx', task: 'clip-image-embedding', input: { size: [224, 224] }, outputs: { embedding: 'e' } }, /inside the model folder/],
    ['a bad name', { name: 'no spaces please', task: 'clip-image-embedding', input: { size: [224, 224] }, outputs: { embedding: 'e' } }, /name/],
    ['a bad resize rule', { name: 'x', task: 'clip-image-embedding', input: { size: [224, 224], resize: 'crop' }, outputs: { embedding: 'e' } }, /resize/],
  ])('rejects %s', (_what, json, re) => {
    expect(() => parseManifest(json, '/models/x')).toThrow(re);
    expect(() => parseManifest(json, '/models/x')).toThrow(/^model \/models\/x: invalid model\.json/);
  });

  it('validates LINEDECK_ORT_THREADS', () => {
    const saved = process.env.LINEDECK_ORT_THREADS;
    try {
      delete process.env.LINEDECK_ORT_THREADS;
      expect(ortThreads()).toBe(2);
      process.env.LINEDECK_ORT_THREADS = '4';
      expect(ortThreads()).toBe(4);
      process.env.LINEDECK_ORT_THREADS = 'many';
      expect(() => ortThreads()).toThrow(/LINEDECK_ORT_THREADS must be an integer/);
    } finally {
      if (saved === undefined) delete process.env.LINEDECK_ORT_THREADS;
      else process.env.LINEDECK_ORT_THREADS = saved;
    }
  });
});

describe('model folders with real ONNX files', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-models-'));
  afterAll(async () => {
    await releaseModels();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const folder = (name: string, manifest: RawManifest, onnx: string) => writeModelFolder(path.join(root, name), manifest, onnx);

  it('opens, warms and caches valid models', async () => {
    const c = folder('clip', CLIP_FIXTURE_MANIFEST, CLIP_ONNX);
    const m = await loadModel(c);
    expect(m.embeddingDim).toBe(32);
    expect(m.outputDims).toEqual({ image_embeds: [1, 32] });
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.threads).toBe(ortThreads());
    expect(await loadModel(c)).toBe(m);
    const b = await loadModel(folder('backbone', BACKBONE_FIXTURE_MANIFEST, PC_ONNX), { task: 'patchcore-backbone' });
    expect(b.featureShapes).toEqual([
      [128, 28, 28],
      [256, 14, 14],
    ]);
  });

  it('explains what is wrong with a folder', async () => {
    const broken = (name: string, patch: Record<string, unknown>, onnx = CLIP_ONNX, base: RawManifest = CLIP_FIXTURE_MANIFEST) =>
      folder(name, { ...base, ...patch } as RawManifest, onnx);

    const noFile = broken('nofile', {});
    fs.rmSync(path.join(noFile, 'model.onnx'));
    await expect(loadModel(noFile)).rejects.toThrow(/ONNX file model\.onnx not found/);

    const wrongInput = broken('wronginput', { input: { ...CLIP_FIXTURE_MANIFEST.input, name: 'pixels' } });
    await expect(loadModel(wrongInput)).rejects.toThrow(/input "pixels" is not in model\.onnx; its inputs are \["pixel_values"\]/);

    const noOutput = broken('nooutput', { outputs: { embedding: 'pooler_output' } });
    await expect(loadModel(noOutput)).rejects.toThrow(/output "pooler_output" not in model\.onnx; its outputs are \["image_embeds"\]/);

    const wrongShape = broken('wrongshape', { input: { ...BACKBONE_FIXTURE_MANIFEST.input }, outputs: { embedding: 'layer2' } }, PC_ONNX);
    await expect(loadModel(wrongShape)).rejects.toThrow(/output "layer2" has rank 4; an embedding must be \[batch, dim\]/);

    const reversed = broken('reversed', { outputs: { features: ['layer3', 'layer2'] } }, PC_ONNX, BACKBONE_FIXTURE_MANIFEST);
    await expect(loadModel(reversed)).rejects.toThrow(/finer map first: "layer3" is 14×14, "layer2" is 28×28/);

    const wrongSize = broken('wrongsize', { input: { ...CLIP_FIXTURE_MANIFEST.input, size: [256, 256] } });
    await expect(loadModel(wrongSize)).rejects.toThrow(/is 224×224 \(H×W\) in the ONNX file but model\.json says size \[256, 256\]/);

    const notOnnx = broken('notonnx', {});
    fs.writeFileSync(path.join(notOnnx, 'model.onnx'), 'garbage');
    await expect(loadModel(notOnnx)).rejects.toThrow(/cannot load model\.onnx with onnxruntime/);

    const badJson = broken('badjson', {});
    fs.writeFileSync(path.join(badJson, 'model.json'), '{ "name": ');
    await expect(loadModel(badJson)).rejects.toThrow(/model\.json is not valid JSON/);

    await expect(loadModel(folder('clip2', CLIP_FIXTURE_MANIFEST, CLIP_ONNX), { task: 'patchcore-backbone' })).rejects.toThrow(
      /is a clip-image-embedding model; a patchcore-backbone model is needed here/,
    );
    await expect(loadModel(path.join(root, 'absent'))).rejects.toThrow(/folder not found/);
  });

  it('discovers model folders and reports the broken ones', () => {
    const r2 = fs.mkdtempSync(path.join(root, 'discover-'));
    writeModelFolder(path.join(r2, 'a-clip'), CLIP_FIXTURE_MANIFEST, CLIP_ONNX);
    writeModelFolder(path.join(r2, 'b-backbone'), BACKBONE_FIXTURE_MANIFEST, PC_ONNX);
    writeModelFolder(path.join(r2, 'c-dup'), CLIP_FIXTURE_MANIFEST, CLIP_ONNX);
    fs.mkdirSync(path.join(r2, 'd-broken'));
    fs.writeFileSync(path.join(r2, 'd-broken', 'model.json'), JSON.stringify({ name: 'x', task: 'clip-image-embedding' }));
    fs.mkdirSync(path.join(r2, 'e-not-a-model'));
    const found = discoverModels([r2, path.join(root, 'nowhere')]);
    expect(found.models.map((m) => [m.manifest.name, m.manifest.task])).toEqual([
      ['clip-tiny-fixture', 'clip-image-embedding'],
      ['patchcore-backbone-fixture', 'patchcore-backbone'],
    ]);
    expect(found.problems.map((p) => path.basename(p.dir))).toEqual(['c-dup', 'd-broken', 'nowhere']);
    expect(found.problems[0].error).toMatch(/already used by/);
    expect(found.problems[1].error).toMatch(/invalid model\.json/);
    // a root that is itself a model folder
    expect(discoverModels([path.join(r2, 'a-clip')]).models).toHaveLength(1);
  });
});

describe('anomaly-model folders (anomalib-style self-contained exports)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-anomaly-'));
  afterAll(async () => {
    await releaseModels();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** a stand-in export: pred_score = mean of the input, anomaly_map = channel mean, pred_label = score > 0.5 */
  async function anomalyOnnx(file: string, size: number) {
    const { default: onnxProto } = await import('onnx-proto');
    const { onnx } = onnxProto;
    const vi = (name: string, elemType: number, dims: number[]) =>
      onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
    const ints = (name: string, v: number[]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
    const int = (name: string, v: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
    const graph = onnx.GraphProto.create({
      name: 'fake_anomalib',
      node: [
        onnx.NodeProto.create({ opType: 'ReduceMean', input: ['input'], output: ['pred_score'], attribute: [ints('axes', [1, 2, 3]), int('keepdims', 0)] }),
        onnx.NodeProto.create({ opType: 'ReduceMean', input: ['input'], output: ['anomaly_map'], attribute: [ints('axes', [1]), int('keepdims', 1)] }),
        onnx.NodeProto.create({ opType: 'Greater', input: ['pred_score', 'half'], output: ['pred_label'] }),
      ],
      initializer: [onnx.TensorProto.create({ name: 'half', dims: [], dataType: 1, floatData: [0.5] })],
      input: [vi('input', 1, [1, 3, size, size])],
      output: [vi('pred_score', 1, [1]), vi('anomaly_map', 1, [1, 1, size, size]), vi('pred_label', 9, [1])],
    });
    const model = onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph });
    fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
  }

  it('validates the outputs and runs the model on an image', async () => {
    const onnxFile = path.join(root, 'fake.onnx');
    await anomalyOnnx(onnxFile, 32);
    const dir = writeModelFolder(path.join(root, 'anomaly'), { name: 'fake-anomalib', task: 'anomaly-model', input: { size: [32, 32] }, outputs: { pred_label: 'pred_label' } }, onnxFile);
    const m = await loadModel(dir, { task: 'anomaly-model' });
    expect(m.outputDims).toEqual({ pred_score: [1], anomaly_map: [1, 1, 32, 32], pred_label: [1] });
    const { opAnomalyModel } = await import('./ops');
    const { default: sharp } = await import('sharp');
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 204, g: 204, b: 204 } } }).png().toBuffer();
    const [r] = await opAnomalyModel({ model: dir, images: [png] });
    expect(r.score).toBeCloseTo(0.8, 5);
    expect(r.label).toBe(1);
    expect(r.mapSize).toEqual([32, 32]);
    expect(r.map[100]).toBeCloseTo(0.8, 5);

    const bad = writeModelFolder(path.join(root, 'bad'), { name: 'bad', task: 'anomaly-model', input: { size: [32, 32] }, outputs: { anomaly_map: 'heat' } }, onnxFile);
    await expect(loadModel(bad)).rejects.toThrow(/output "heat" not in model\.onnx/);
  });
});
