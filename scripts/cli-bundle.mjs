/**
 * Whether the built command line (out/electron/main/cli.js) is current, so that `npm run linedeck` can run it
 * instead of compiling main/ with tsx at every start (scripts/linedeck.mjs). Never a stale bundle:
 *
 * - the build (electron.vite.config.ts, `cliBundleStamp()`) writes out/electron/main/cli-stamp.json beside the
 *   bundle: every file that went into the chunks cli.js loads (statically or with import(), and the inspection
 *   worker's; main/ and the packages bundled in, e.g. zod) with its mtime and size, taken BEFORE the bundler read
 *   the file, plus the build's own inputs (the config, package.json, tsconfig.json, this file), and each of those
 *   chunks with its mtime and size;
 * - `cliBundleState` compares them with the files now: one stat per file (a few ms). Any difference — a source
 *   edited, replaced, deleted, a chunk rewritten or missing, no stamp (never built, or a build under way: the
 *   build empties out/ first and writes the stamp last) — makes it stale.
 *
 * A file that no bundled file imports cannot change the bundle; a new import shows as an edit of the importer.
 */
import fs from 'node:fs';
import path from 'node:path';

export const STAMP_FILE = 'cli-stamp.json';
const OUT_DIR = path.join('out', 'electron', 'main');
const ENTRIES = ['cli.js', 'worker.js', 'host.js'];
/** inputs of the build itself, relative to the repository root */
const BUILD_INPUTS = ['electron.vite.config.ts', 'package.json', 'tsconfig.json', 'scripts/cli-bundle.mjs'];
const SOURCE = /\.(m|c)?[jt]sx?$|\.json$/;

function fileState(file) {
  try {
    const st = fs.statSync(file);
    return [st.mtimeMs, st.size];
  } catch {
    return null;
  }
}

/** The vite/rollup plugin of the main build that writes the stamp. */
export function cliBundleStamp(root = process.cwd()) {
  /** absolute path → [mtimeMs, size] when the bundler was about to read it */
  const seen = new Map();
  let outDir = path.join(root, OUT_DIR);
  return {
    name: 'linedeck-cli-bundle-stamp',
    enforce: 'pre',
    // kept across watch-mode rebuilds: a module the bundler does not read again keeps the state it was read in
    buildStart() {
      for (const f of BUILD_INPUTS) seen.set(path.join(root, f), fileState(path.join(root, f)));
    },
    // runs before any loader reads the file: an edit after this shows as a different mtime or size
    load(id) {
      if (id.startsWith('\0') || id.includes('?') || !path.isAbsolute(id) || !SOURCE.test(id)) return null;
      seen.set(id, fileState(id));
      return null;
    },
    writeBundle(options, bundle) {
      if (options.dir) outDir = options.dir;
      const chunks = new Map(Object.values(bundle).filter((c) => c.type === 'chunk').map((c) => [c.fileName, c]));
      if (!chunks.has('cli.js')) return;
      const reach = new Set();
      const visit = (name) => {
        const c = chunks.get(name);
        if (!c || reach.has(name)) return;
        reach.add(name);
        for (const n of [...c.imports, ...c.dynamicImports]) visit(n);
      };
      for (const e of ENTRIES) visit(e);
      const sources = {};
      const add = (abs) => {
        const s = seen.get(abs);
        // a module whose file was never stat'ed (or vanished) cannot be vouched for: no stamp, so never "current"
        if (!s) throw new Error(`cli-stamp: no state for ${abs}`);
        sources[path.relative(root, abs).split(path.sep).join('/')] = s;
      };
      try {
        for (const f of BUILD_INPUTS) add(path.join(root, f));
        for (const name of reach)
          for (const id of chunks.get(name).moduleIds ?? []) if (path.isAbsolute(id) && !id.includes('?') && SOURCE.test(id)) add(id);
      } catch (e) {
        this.warn(`${e.message}: npm run linedeck will run the sources (tsx)`);
        return;
      }
      const out = {};
      for (const name of reach) out[name] = fileState(path.join(outDir, name));
      fs.writeFileSync(path.join(outDir, STAMP_FILE), `${JSON.stringify({ version: 1, sources, out })}\n`);
    },
  };
}

/** null when out/electron/main/cli.js is current with the sources; else why not (one line). */
export function cliBundleState(root) {
  const outDir = path.join(root, OUT_DIR);
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(path.join(outDir, STAMP_FILE), 'utf8'));
  } catch {
    return `no ${STAMP_FILE} (not built, or a build is under way)`;
  }
  if (stamp?.version !== 1 || !stamp.sources || !stamp.out?.['cli.js']) return `${STAMP_FILE} is not this version's`;
  const same = (a, b) => Array.isArray(a) && Array.isArray(b) && a[0] === b[0] && a[1] === b[1];
  for (const [rel, s] of Object.entries(stamp.out)) if (!same(fileState(path.join(outDir, rel)), s)) return `${OUT_DIR}/${rel} changed since the build`;
  for (const [rel, s] of Object.entries(stamp.sources)) if (!same(fileState(path.join(root, rel)), s)) return `${rel} changed since the build`;
  return null;
}
