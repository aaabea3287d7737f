#!/usr/bin/env node
/**
 * `npm run linedeck -- <command> …`: runs the built command line (out/electron/main/cli.js, `npm run build`) when
 * it is current with the sources (./cli-bundle.mjs: a stamp the build writes, checked with one stat per file),
 * else main/cli/bin.ts through tsx — so a fresh checkout, or one with edits since the last build, always runs what
 * the sources say, and a built one starts without compiling main/ first. Both run in this process.
 * LINEDECK_CLI_FROM=source (or =bundle) picks one; LINEDECK_CLI_DEBUG=1 says on stderr which and why.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cliBundleState } from './cli-bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = process.env.LINEDECK_CLI_FROM;
const stale = from === 'source' ? 'LINEDECK_CLI_FROM=source' : from === 'bundle' ? null : cliBundleState(root);
if (process.env.LINEDECK_CLI_DEBUG) process.stderr.write(`linedeck: ${stale === null ? 'built bundle' : `sources through tsx (${stale})`}\n`);
if (stale === null) {
  await import(pathToFileURL(path.join(root, 'out', 'electron', 'main', 'cli.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'main', 'cli', 'bin.ts')).href);
}
