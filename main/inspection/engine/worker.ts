/**
 * Worker-thread entry of the inspection engine: runs ops.ts off the main event loop. Protocol (engine.ts is the
 * client): in `{type:'run', id, op, args, cancel: SharedArrayBuffer}` / `{type:'close'}`; out
 * `{type:'progress', id, fraction, message}`, `{type:'result', id, result}`, `{type:'error', id, error}`.
 * Cancellation is a shared Int32 flag, so long synchronous loops (coreset) see it without an event-loop turn.
 */
import { parentPort, isMainThread } from 'node:worker_threads';
import { releaseModels } from './models';
import { closeBanks, opAnomalyModel, opBuildBank, opEmbed, opInspect, opPatchcore, opPatchcoreAdhoc, type OpControl } from './ops';

export const OPS = {
  embed: opEmbed,
  patchcore: opPatchcore,
  inspect: opInspect,
  patchcoreAdhoc: opPatchcoreAdhoc,
  buildBank: opBuildBank,
  anomalyModel: opAnomalyModel,
  ping: async (args: { echo?: unknown }) => ({ pong: args?.echo ?? null, threadId: (await import('node:worker_threads')).threadId }),
} as const;
export type OpName = keyof typeof OPS;

export interface RunMessage {
  type: 'run';
  id: number;
  op: OpName;
  args: unknown;
  cancel: SharedArrayBuffer;
}

/** Typed arrays in a result, to hand over without copying. */
function transferables(x: unknown, out: Set<ArrayBuffer> = new Set(), depth = 0): Set<ArrayBuffer> {
  if (depth > 6 || x === null || typeof x !== 'object') return out;
  if (ArrayBuffer.isView(x)) {
    const b = x.buffer;
    // only whole, unshared buffers can be transferred
    if (b instanceof ArrayBuffer && x.byteOffset === 0 && x.byteLength === b.byteLength) out.add(b);
    return out;
  }
  for (const v of Array.isArray(x) ? x : Object.values(x)) transferables(v, out, depth + 1);
  return out;
}

function serializeError(e: unknown) {
  const err = e as Error;
  const reason = (e as { reason?: unknown })?.reason;
  return { name: err?.name ?? 'Error', message: err?.message ?? String(e), ...(typeof reason === 'string' ? { reason } : {}) };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', async (msg: RunMessage | { type: 'close' }) => {
    if (msg.type === 'close') {
      await closeBanks();
      await releaseModels();
      port.close();
      return;
    }
    const { id, op, args } = msg;
    const flag = new Int32Array(msg.cancel);
    let last = 0;
    const ctl: OpControl = {
      signal: {
        get aborted() {
          return Atomics.load(flag, 0) === 1;
        },
      },
      onProgress: (fraction, message) => {
        const now = Date.now();
        if (now - last < 100 && fraction < 1) return;
        last = now;
        port.postMessage({ type: 'progress', id, fraction, message });
      },
    };
    try {
      const fn = OPS[op] as (a: unknown, c: OpControl) => Promise<unknown>;
      if (!fn) throw new Error(`unknown engine operation "${op}"`);
      const result = await fn(args, ctl);
      port.postMessage({ type: 'result', id, result }, [...transferables(result)]);
    } catch (e) {
      port.postMessage({ type: 'error', id, error: serializeError(e) });
    }
  });
}
