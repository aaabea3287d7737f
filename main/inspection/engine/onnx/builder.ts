/**
 * A small, deterministic ONNX graph writer over the `onnx-proto` classes (protobufjs-generated from ONNX's
 * onnx.proto). Nodes and initializers are emitted in creation order, tensors are stored as little-endian raw
 * data, and nothing time- or machine-dependent is written, so the same build gives the same bytes.
 */
import { createRequire } from 'node:module';

// onnx-proto is CommonJS with `module.exports = $root`; Node's ESM loader cannot see its named export `onnx`.
const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as typeof import('onnx-proto');
export { onnx };

type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

function floatBytes(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw new RangeError(`non-finite weight ${v}`);
    view.setFloat32(i * 4, v, true);
  }
  return out;
}

function int64Bytes(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, BigInt(data[i]), true);
  return out;
}

function attribute(name: string, value: AttrValue): import('onnx-proto').onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`attribute ${name}: use {float} for a float value`);
    return { name, type: T.INT, i: value };
  }
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.FLOATS, floats: value.floats };
}

export interface ValueShape {
  name: string;
  dims: (number | string)[];
}

/** Graph under construction. Names are generated from a counter, so they depend only on the build order. */
export class GraphBuilder {
  private readonly nodes: import('onnx-proto').onnx.INodeProto[] = [];
  private readonly initializers: import('onnx-proto').onnx.ITensorProto[] = [];
  private readonly inputs: ValueShape[] = [];
  private readonly outputs: ValueShape[] = [];
  private readonly used = new Set<string>();
  private counter = 0;
  /** number of float weights stored */
  weightCount = 0;

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.used.has(name));
    this.used.add(name);
    return name;
  }

  input(name: string, dims: (number | string)[]): string {
    if (this.used.has(name)) throw new Error(`duplicate name ${name}`);
    this.used.add(name);
    this.inputs.push({ name, dims });
    return name;
  }

  /** Marks `value` as a graph output under `name` (an Identity node renames it). */
  output(value: string, name: string, dims: (number | string)[]): void {
    if (this.used.has(name)) throw new Error(`duplicate name ${name}`);
    this.used.add(name);
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `out_${name}` });
    this.outputs.push({ name, dims });
  }

  constFloat(dims: number[], data: ArrayLike<number>, prefix = 'w'): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new RangeError(`initializer ${prefix}: ${data.length} values for dims [${dims.join(',')}]`);
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: floatBytes(data) });
    this.weightCount += data.length;
    return name;
  }

  constInt64(dims: number[], data: ArrayLike<number>, prefix = 'i'): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims, dataType: INT64, rawData: int64Bytes(data) });
    return name;
  }

  scalar(v: number): string {
    return this.constFloat([], [v], 'c');
  }

  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    const attribute_ = Object.keys(attrs)
      .sort()
      .map((k) => attribute(k, attrs[k]));
    this.nodes.push({ opType, input: inputs, output: outs, name: `n${this.nodes.length}_${opType}`, attribute: attribute_ });
    return outs;
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, inputs, attrs, 1)[0];
  }

  // ----- convenience wrappers -----

  conv(x: string, weight: { dims: number[]; data: ArrayLike<number> }, opts: { bias?: ArrayLike<number>; stride?: number; group?: number; pad?: number } = {}): string {
    const [, , kh, kw] = weight.dims;
    const w = this.constFloat(weight.dims, weight.data);
    const inputs = [x, w];
    if (opts.bias) inputs.push(this.constFloat([weight.dims[0]], opts.bias, 'b'));
    const ph = opts.pad ?? (kh - 1) / 2;
    const pw = opts.pad ?? (kw - 1) / 2;
    if (!Number.isInteger(ph) || !Number.isInteger(pw)) throw new RangeError('conv: give pad for even kernels');
    return this.op('Conv', inputs, {
      kernel_shape: [kh, kw],
      pads: [ph, pw, ph, pw],
      strides: [opts.stride ?? 1, opts.stride ?? 1],
      group: opts.group ?? 1,
    });
  }

  /** Pads the two spatial axes of an NCHW tensor by p on each side ('reflect' mirrors without repeating the edge). */
  pad(x: string, p: number, mode: 'reflect' | 'edge'): string {
    return this.op('Pad', [x, this.constInt64([8], [0, 0, p, p, 0, 0, p, p], 'pads')], { mode });
  }

  /** A 'same' convolution (odd square kernels) on the input mirrored at its border instead of zero-padded. */
  convReflect(x: string, weight: { dims: number[]; data: ArrayLike<number> }): string {
    return this.conv(this.pad(x, (weight.dims[2] - 1) / 2, 'reflect'), weight, { pad: 0 });
  }

  /** Average pooling; `countPad` divides border windows by k² with the padding counted (PyTorch's default). */
  avgPool(x: string, k: number, stride = k, pad = 0, countPad = false): string {
    return this.op('AveragePool', [x], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], count_include_pad: countPad ? 1 : 0 });
  }

  maxPool(x: string, k: number, stride = k, pad = 0): string {
    return this.op('MaxPool', [x], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
  }

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }
  relu(a: string): string {
    return this.op('Relu', [a]);
  }
  concat(xs: string[], axis = 1): string {
    return xs.length === 1 ? xs[0] : this.op('Concat', xs, { axis });
  }
  /** Resize (bilinear, half-pixel centres) to an explicit [N,C,H,W] size. */
  /** Bilinear resize to `sizes`; 'pytorch_half_pixel' is F.interpolate(align_corners=False) exactly. */
  resize(x: string, sizes: number[], coordinates: 'half_pixel' | 'pytorch_half_pixel' = 'half_pixel'): string {
    const roi = this.constFloat([0], [], 'roi');
    const scales = this.constFloat([0], [], 'scales');
    return this.op('Resize', [x, roi, scales, this.constInt64([4], sizes, 'sizes')], {
      mode: 'linear',
      coordinate_transformation_mode: coordinates,
    });
  }

  toModel(opts: { name: string; docString: string; producerVersion: string; metadata?: Record<string, string> }): Uint8Array {
    const valueInfo = (v: ValueShape): import('onnx-proto').onnx.IValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: FLOAT,
          shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    const model = onnx.ModelProto.create({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      producerName: 'linedeck-build',
      producerVersion: opts.producerVersion,
      docString: opts.docString,
      metadataProps: Object.keys(opts.metadata ?? {})
        .sort()
        .map((key) => ({ key, value: (opts.metadata ?? {})[key] })),
      graph: {
        name: opts.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    });
    const err = onnx.ModelProto.verify(model);
    if (err) throw new Error(`invalid model: ${err}`);
    return onnx.ModelProto.encode(model).finish();
  }
}
