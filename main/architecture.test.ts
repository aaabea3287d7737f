/**
 * The shape of the code, checked: no import cycles anywhere (type-only imports count: they tangle ownership just
 * the same), and every domain is a module listed once in main/modules.ts. dpdm reads the imports with the
 * TypeScript compiler, the same way tsc resolves them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCircular, parseDependencyTree } from 'dpdm';
import { describe, expect, it } from 'vitest';
import { contract } from './api/contract';
import { allMigrations } from './migrations';
import { modules } from './modules';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The import cycles among the files the globs (relative to `cwd`) name and what they import, as paths relative to `cwd`. */
async function cycles(globs: string[], cwd = root): Promise<string[][]> {
  const entries = globs.map((g) => path.join(cwd, g));
  const tree = await parseDependencyTree(entries, { context: cwd, cwd, tsconfig: path.join(root, 'tsconfig.json'), transform: false, extensions: ['.ts', '.tsx', '.mjs', '.js', '.json'] });
  return parseCircular(tree); // the tree's names are relative to `context`
}

describe('architecture', () => {
  it('has no import cycle in main/, electron/, renderer/, bench/ or ml-models/build (type imports included)', async () => {
    const found = await cycles(['main/**/*.ts', 'electron/**/*.ts', 'renderer/src/**/*.{ts,tsx}', 'bench/**/*.ts', 'ml-models/build/*.ts']);
    expect(found.map((c) => c.join(' → '))).toEqual([]);
  }, 120_000);

  it('the cycle check finds a type-only cycle (so the test above can fail)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-cycle-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = { b?: B };\n");
      fs.writeFileSync(path.join(dir, 'b.ts'), "import type { A } from './a';\nexport type B = { a?: A };\n");
      fs.writeFileSync(path.join(dir, 'c.ts'), "export const c = 1;\n");
      expect((await cycles(['*.ts'], dir)).map((c) => [...c].sort())).toEqual([['a.ts', 'b.ts']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every domain folder with a module.ts is listed once in main/modules.ts, and its procedures carry its name', () => {
    const folders = fs
      .readdirSync(path.join(root, 'main'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, 'main', d.name, 'module.ts')))
      .map((d) => d.name)
      .sort();
    expect(modules.map((m) => m.name).sort()).toEqual(folders);
    for (const m of modules) {
      const prefixes = new Set(Object.keys(m.procedures).map((n) => n.split('.')[0]));
      // the system module serves the shell's procedures (auth.*, admin.*, jobs.*, system.*)
      if (m.name !== 'system') expect([...prefixes]).toEqual([m.name]);
    }
    expect(Object.keys(contract).length).toBe(modules.reduce((n, m) => n + Object.keys(m.procedures).length, 0));
  });

  it('each module brings its migrations: every migration of a domain group comes from that domain’s module', () => {
    for (const m of modules) for (const mig of m.migrations ?? []) expect(allMigrations).toContain(mig);
    const groups = new Set(allMigrations.map((m) => m.group));
    expect([...groups].sort()).toEqual(['core', 'cylinders', 'inspection', 'telemetry']);
  });
});
