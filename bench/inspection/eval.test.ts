/**
 * The default models proven on synthetic parts through the engine's PatchCore (bank of 40 normal images per surface,
 * coreset 0.1). The vitest run uses a representative subset of the test images (8 held-out normals + 2 per defect
 * kind per surface × level, every surface and level); `npx tsx bench/inspection/eval-cli.ts` runs the full
 * evaluation (20 normals + 6 per kind) whose figures are in ml-models/README.md.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { releaseModels } from '../../main/inspection/engine/models';
import { auroc, evaluateDefaultModel, formatReport, HARD_MEAN_AUROC, PLAIN_MIN_AUROC } from './eval';

afterAll(() => releaseModels());

describe('auroc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 for ties', () => {
    expect(auroc([0.1, 0.2, 0.3], [0.4, 0.9])).toBe(1);
    expect(auroc([0.4, 0.9], [0.1, 0.2, 0.3])).toBe(0);
    expect(auroc([1, 1, 1], [1, 1])).toBe(0.5);
  });

  it('counts pairs (Mann–Whitney) with ties as one half', () => {
    // pairs (pos > neg): 0.5 > 0.2, 0.5 > 0.4, 0.5 = 0.5 (½), 0.3 > 0.2 → 3.5 of 6
    expect(auroc([0.2, 0.4, 0.5], [0.5, 0.3])).toBeCloseTo(3.5 / 6, 12);
  });

  it('refuses empty classes', () => {
    expect(() => auroc([], [1])).toThrow(/at least one/);
    expect(() => auroc([1], [])).toThrow(/at least one/);
  });
});

describe('default models on synthetic parts (engine PatchCore, 40 normals per bank, coreset 0.1)', () => {
  it(
    `detects defects: AUROC ≥ ${PLAIN_MIN_AUROC} on every surface at the plain level, mean ≥ ${HARD_MEAN_AUROC} at the hard level`,
    async () => {
      // the README's protocol (20 held-out normals and 6 of each defect kind per surface × level) on a seed of its own:
      // with 8 normals and 2 of each kind, one faint stain ranked below one normal decided the plain goal (0.975)
      const r = await evaluateDefaultModel({ trainNormals: 40, testNormals: 20, defectsPerKind: 6, seed: 'eval-ci', threads: 2 });
      // the report shows up in the test output when something regresses
      console.log(formatReport(r));
      expect(r.conditions).toHaveLength(6);
      for (const c of r.conditions) {
        expect(c.bankRows).toBe(Math.trunc(40 * 28 * 28 * 0.1));
        expect(c.normals).toBe(20);
        expect(c.defects).toBe(30);
        if (c.level === 'plain') expect(c.auroc, `${c.surface} plain`).toBeGreaterThanOrEqual(PLAIN_MIN_AUROC);
      }
      expect(r.hardMean).toBeGreaterThanOrEqual(HARD_MEAN_AUROC);
      // decisions.md inspection 2: held-out normals stay below the 0.85 image threshold after the engine's
      // normalization (the goal is 99 % of them; 120 images cannot show that, 95 % guards against a regression)
      const below = r.conditions.reduce((a, c) => a + c.normalsBelowThreshold, 0);
      expect(below / r.conditions.reduce((a, c) => a + c.normals, 0)).toBeGreaterThanOrEqual(0.95);
      expect(r.pass).toBe(true);
      // the embedder: nearest exemplar of the same kind well above chance (1 in 5), nearest image of the same surface
      expect(r.embed!.pooled.n).toBe(180);
      expect(r.embed!.pooled.accuracy).toBeGreaterThan(0.4);
      expect(r.embed!.surfaceRetrieval.accuracy).toBeGreaterThan(0.85);
    },
    300_000,
  );
});
