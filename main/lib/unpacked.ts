/**
 * Packaged paths. An installed build keeps the app's code in `resources/app.asar`, and every native binary and
 * library (the embedded PostgreSQL, ONNX Runtime, sharp/libvips) in `resources/app.asar.unpacked` (electron-builder
 * `asarUnpack`). Electron reads unpacked files through the archive path for fs and for `process.dlopen`, but the
 * operating system cannot: a program spawned by path (initdb, postgres) and a library found by path must be given
 * the `app.asar.unpacked` path. `unpackedPath` is that one mapping; in development and tests (no `app.asar` in the
 * path) it returns its argument unchanged.
 */
import path from 'node:path';

/** `…/resources/app.asar/node_modules/x` → `…/resources/app.asar.unpacked/node_modules/x`; other paths unchanged. */
export function unpackedPath(p: string, sep: string = path.sep): string {
  // `app.asar` as a whole path segment: followed by a separator (either on Windows) or ending the path
  const seps = sep === '\\' ? '[\\\\/]' : '/';
  return p.replace(new RegExp(`(^|[\\\\/])app\\.asar(?=${seps}|$)`), '$1app.asar.unpacked');
}
