/**
 * Stand-ins with the architecture (so the cost) of the models a plant drops in, for benches only: no weights of the
 * real networks exist here, so the weights are seeded random (He-scaled, batch norm folded away, residual branches
 * damped so activations stay finite). They compute nothing useful; they take the time the real ones take.
 *
 *   - `wide_resnet50_2` up to layer3 (torchvision's layout: stem, layer1 ×3, layer2 ×4, layer3 ×6 bottlenecks of
 *     twice the usual width), outputs `layer2` [1, 512, 28, 28] and `layer3` [1, 1024, 14, 14]: anomalib's default
 *     PatchCore backbone;
 *   - a ResNet-50 image encoder with global pooling and a 2048 → 1024 projection, `pixel_values` → `image_embeds`
 *     [1, 1024]: the cost class of CLIP RN50's image tower.
 *
 * Written as model folders (model.onnx + model.json) by `writeReferenceSizeModels(dir)`; about 190 MB in all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../main/lib/mulberry32';
import { GraphBuilder } from '../../main/inspection/engine/onnx/builder';

const IMAGENET = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const CLIP = { scale: 1 / 255, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };

class Weights {
  private rnd: () => number;
  constructor(seed: number) {
    this.rnd = mulberry32(seed);
  }
  /** uniform in ±gain·√(6 / fan_in): He initialisation for ReLU nets */
  conv(out: number, inC: number, k: number, gain = 1): { dims: number[]; data: Float32Array } {
    const fanIn = inC * k * k;
    const a = gain * Math.sqrt(6 / fanIn);
    const data = new Float32Array(out * fanIn);
    for (let i = 0; i < data.length; i++) data[i] = (this.rnd() * 2 - 1) * a;
    return { dims: [out, inC, k, k], data };
  }
  bias(n: number): Float32Array {
    const b = new Float32Array(n);
    for (let i = 0; i < n; i++) b[i] = (this.rnd() * 2 - 1) * 0.01;
    return b;
  }
}

function bottleneck(g: GraphBuilder, w: Weights, x: string, inC: number, width: number, outC: number, stride: number): string {
  let y = g.relu(g.conv(x, w.conv(width, inC, 1), { bias: w.bias(width) }));
  y = g.relu(g.conv(y, w.conv(width, width, 3), { bias: w.bias(width), stride }));
  // the residual branch damped (a trained net's last batch norm does this) so 13 blocks stay in range
  y = g.conv(y, w.conv(outC, width, 1, 0.2), { bias: w.bias(outC) });
  const skip = stride !== 1 || inC !== outC ? g.conv(x, w.conv(outC, inC, 1, 0.5), { bias: w.bias(outC), stride }) : x;
  return g.relu(g.add(y, skip));
}

function resnetLayer(g: GraphBuilder, w: Weights, x: string, inC: number, width: number, outC: number, blocks: number, stride: number): string {
  let y = bottleneck(g, w, x, inC, width, outC, stride);
  for (let i = 1; i < blocks; i++) y = bottleneck(g, w, y, outC, width, outC, 1);
  return y;
}

function stem(g: GraphBuilder, w: Weights, x: string): string {
  const y = g.relu(g.conv(x, w.conv(64, 3, 7), { bias: w.bias(64), stride: 2, pad: 3 }));
  return g.maxPool(y, 3, 2, 1);
}

function modelBytes(g: GraphBuilder, name: string): Uint8Array {
  return g.toModel({ name, docString: `${name}: reference-size stand-in with seeded random weights (benches only)`, producerVersion: '1' });
}

/** wide_resnet50_2 to layer3 (≈ 8.5 G multiply-adds at 224 px). */
export function buildWideResNetBackbone(seed = 50): Uint8Array {
  const g = new GraphBuilder();
  const w = new Weights(seed);
  const x = g.input('input', [1, 3, 224, 224]);
  let y = stem(g, w, x);
  y = resnetLayer(g, w, y, 64, 128, 256, 3, 1);
  const l2 = resnetLayer(g, w, y, 256, 256, 512, 4, 2);
  const l3 = resnetLayer(g, w, l2, 512, 512, 1024, 6, 2);
  g.output(l2, 'layer2', [1, 512, 28, 28]);
  g.output(l3, 'layer3', [1, 1024, 14, 14]);
  return modelBytes(g, 'wide_resnet50_2-layer3');
}

/** ResNet-50 + global average pool + 2048 → 1024 projection (≈ 4.1 G multiply-adds at 224 px). */
export function buildResNetEmbedder(seed = 51): Uint8Array {
  const g = new GraphBuilder();
  const w = new Weights(seed);
  const x = g.input('pixel_values', [1, 3, 224, 224]);
  let y = stem(g, w, x);
  y = resnetLayer(g, w, y, 64, 64, 256, 3, 1);
  y = resnetLayer(g, w, y, 256, 128, 512, 4, 2);
  y = resnetLayer(g, w, y, 512, 256, 1024, 6, 2);
  y = resnetLayer(g, w, y, 1024, 512, 2048, 3, 2);
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [y])], { axis: 1 });
  const proj = w.conv(1024, 2048, 1);
  const emb = g.op('Gemm', [pooled, g.constFloat([1024, 2048], proj.data), g.constFloat([1024], w.bias(1024), 'b')], { transB: 1 });
  g.output(emb, 'image_embeds', [1, 1024]);
  return modelBytes(g, 'resnet50-embedder');
}

/** Writes `<dir>/wide-resnet50-2` and `<dir>/resnet50-embedder` model folders; returns their paths. */
export function writeReferenceSizeModels(dir: string): { backbone: string; embedding: string } {
  const folders = [
    {
      name: 'wide-resnet50-2',
      onnx: buildWideResNetBackbone(),
      manifest: { name: 'wide-resnet50-2-reference-size', description: 'wide_resnet50_2 to layer3, seeded random weights: the cost of the real backbone, for benches only', task: 'patchcore-backbone', file: 'model.onnx', input: { name: 'input', size: [224, 224], resize: 'stretch', interpolation: 'bilinear', ...IMAGENET }, outputs: { features: ['layer2', 'layer3'] } },
    },
    {
      name: 'resnet50-embedder',
      onnx: buildResNetEmbedder(),
      manifest: { name: 'resnet50-embedder-reference-size', description: 'ResNet-50 image tower with a 1024-d projection, seeded random weights: the cost class of CLIP RN50, for benches only', task: 'clip-image-embedding', file: 'model.onnx', input: { name: 'pixel_values', size: [224, 224], resize: 'shortest-edge-center-crop', interpolation: 'bicubic', ...CLIP }, outputs: { embedding: 'image_embeds' } },
    },
  ];
  const out: string[] = [];
  for (const f of folders) {
    const d = path.join(dir, f.name);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'model.onnx'), f.onnx);
    fs.writeFileSync(path.join(d, 'model.json'), `${JSON.stringify(f.manifest, null, 2)}\n`);
    out.push(d);
  }
  return { backbone: out[0], embedding: out[1] };
}
