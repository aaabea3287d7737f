/** `linedeck bank build` and `linedeck inspect` (shared/contracts/cli.md) against a real database and the fixture models. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliFailure } from '../cli/context';
import { buildProgram } from '../cli/index';
import { createTestDb, type TestDb } from '../testing/db';
import { releaseModels } from './engine/models';
import { FIXTURE_DIR as FIX, writeStationModels } from './engine/testing/testkit';
import { extractTar } from './engine/tar';


/** runCli's mapping of outcomes to exit codes. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s) };
  const { program, ctx } = buildProgram(io);
  let code = 0;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.code === 'commander.helpDisplayed' ? 0 : 2;
    else if (e instanceof CliFailure) {
      io.stderr(`linedeck: ${e.message.split('\n')[0]}\n`);
      code = e.exitCode;
    } else {
      io.stderr(`linedeck: ${(e as Error).message}\n`);
      code = 1;
    }
  } finally {
    await ctx.close();
  }
  return { code, stdout, stderr };
}

describe('inspection CLI', () => {
  let db: TestDb;
  let home: string;
  let work: string;
  const saved = process.env.LINEDECK_MODELS_DIR;

  beforeAll(async () => {
    db = await createTestDb({ migrate: false });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-insp-cli-'));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-insp-clifix-'));
    extractTar(path.join(FIX, 'fixtures.tar'), work);
    const models = path.join(work, 'models');
    // the fixture models under the default models' folder names, as an installed station has them
    writeStationModels(models, { backbone: 'linedeck-patchcore-default', embedding: 'linedeck-embed-default' });
    process.env.LINEDECK_MODELS_DIR = models;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.LINEDECK_MODELS_DIR;
    else process.env.LINEDECK_MODELS_DIR = saved;
    await releaseModels();
    await db?.drop();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  const base = () => ['--database-url', db.url, '--home', home];

  it('bank build --json prints exactly the contract fields and creates the product', async () => {
    const r = await cli([...base(), '--json', 'bank', 'build', '--product', 'cliprod', '--images', path.join(work, 'pc/train'), '--coreset-ratio', '0.25']);
    expect(r.stderr).not.toMatch(/linedeck:/);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j).sort()).toEqual(['bank_size', 'deployment_id', 'image_threshold', 'ms']);
    expect(j.bank_size).toEqual([1960, 384]);
    expect(j.image_threshold).toBe(0.85);
    expect(Number.isInteger(j.ms) && j.ms > 0).toBe(true);
    const dep = await db.pool.query("select d.status, p.product_code from deployments d join products p using (product_id) where deployment_id = $1", [j.deployment_id]);
    expect(dep.rows[0]).toEqual({ status: 'completed', product_code: 'cliprod' });
  });

  it('inspect --json prints normalized scores per image and writes inspections; a bad image fails the run with a reason', async () => {
    const imgs = ['good_0.png', 'hole_0.png'].map((f) => path.join(work, 'pc/test', f));
    const r = await cli([...base(), '--json', 'inspect', '--product', 'cliprod', ...imgs]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.results).toHaveLength(2);
    for (const x of j.results) {
      expect(Object.keys(x).sort()).toEqual(['anomaly_score', 'artifacts', 'defect_detected', 'defect_type', 'image', 'inspection_code', 'regions']);
      expect(x.anomaly_score).toBeGreaterThanOrEqual(0);
      expect(x.anomaly_score).toBeLessThanOrEqual(1);
      for (const k of ['original', 'heatmap', 'mask', 'overlay', 'comparison']) expect(fs.existsSync(x.artifacts[k])).toBe(true);
    }
    expect(j.results[0]).toMatchObject({ image: imgs[0], defect_detected: false });
    expect(j.results[1]).toMatchObject({ image: imgs[1], defect_detected: true });
    const rows = await db.pool.query("select i.inspection_code, i.source, r.anomaly_score from inspections i join inspection_results r using (inspection_id) order by inspection_id");
    expect(rows.rows.map((x) => x.inspection_code)).toEqual(j.results.map((x: { inspection_code: string }) => x.inspection_code));
    expect(rows.rows.every((x) => x.source === 'cli')).toBe(true);
    expect(rows.rows[1].anomaly_score).toBeCloseTo(j.results[1].anomaly_score, 12);

    const bad = path.join(work, 'bad.png');
    fs.writeFileSync(bad, 'not a png');
    const r2 = await cli([...base(), '--json', 'inspect', '--product', 'cliprod', bad, imgs[0]]);
    expect(r2.code).toBe(1);
    expect(JSON.parse(r2.stdout).results).toHaveLength(1); // the good one was still inspected
    expect(r2.stderr).toMatch(/linedeck: 1 of 2 image\(s\) could not be inspected: .*bad\.png: .*not a readable image/);
  });

  it('inspect on a product without a bank, and bad arguments, fail clearly', async () => {
    const r = await cli([...base(), '--json', 'inspect', '--product', 'newprod', path.join(work, 'pc/test/good_0.png')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/product newprod has no memory bank yet: run `linedeck bank build --product newprod --images DIR`/);
    const made = await db.pool.query("select product_name from products where product_code = 'newprod'");
    expect(made.rows[0].product_name).toBe('newprod');
    expect((await cli([...base(), 'bank', 'build', '--product', 'x'])).code).toBe(2); // code too short
    expect((await cli([...base(), 'bank', 'build', '--product', 'prodz', '--coreset-ratio', '2'])).code).toBe(2);
    expect((await cli([...base(), 'bank', 'build', '--product', 'prodz', '--images', path.join(work, 'nope')])).code).toBe(2);
    expect((await cli([...base(), 'inspect', path.join(work, 'pc/test/good_0.png')])).code).toBe(2); // --product missing
    const empty = await cli([...base(), 'bank', 'build', '--product', 'prodz']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/prodz has 0 normal reference images; at least 2 are needed/);
  });
});
