import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelsCheck } from './doctor';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-doctor-models-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('doctor: models', () => {
  it('passes with whole model folders, fails when one lost its ONNX file or there are none', () => {
    expect(modelsCheck(path.join(dir, 'none')).ok).toBe(false);
    for (const m of ['a', 'b']) {
      fs.mkdirSync(path.join(dir, m));
      fs.writeFileSync(path.join(dir, m, 'model.json'), JSON.stringify({ file: 'model.onnx' }));
      fs.writeFileSync(path.join(dir, m, 'model.onnx'), 'x');
    }
    expect(modelsCheck(dir)).toMatchObject({ ok: true, detail: `${dir}: a, b` });
    fs.rmSync(path.join(dir, 'b', 'model.onnx'));
    expect(modelsCheck(dir)).toMatchObject({ ok: false, detail: `${dir}: incomplete: b (model.onnx is missing)` });
  });
});
