/**
 * Secrets at rest (database URLs with passwords in config.json). The Electron shell installs a codec backed by
 * the OS keychain (safeStorage); without it (CLI, tests) values are stored as given and an encrypted value
 * cannot be read, which is said clearly.
 */
export interface SecretCodec {
  encrypt(plain: string): string;
  decrypt(cipher: string): string;
}
let codec: SecretCodec | undefined;
export function setSecretCodec(c: SecretCodec | undefined): void {
  codec = c;
}
const PREFIX = 'enc:';
export function sealSecret(v: string): string {
  return codec ? PREFIX + codec.encrypt(v) : v;
}
export function openSecret(v: string): string {
  if (!v.startsWith(PREFIX)) return v;
  if (!codec) throw new Error('config.json holds a database URL encrypted by the desktop app (OS keychain); set LINEDECK_DATABASE_URL or --database-url here');
  return codec.decrypt(v.slice(PREFIX.length));
}

/**
 * The desktop app's codec seen from the backend process: safeStorage lives in Electron main, reachable only by
 * asking over the relay (async), while config.json is read synchronously in many places. So the backend asks
 * ahead: `primeSecrets` decrypts the encrypted values it will read (at start, from config.json) and encrypts the
 * plain values it is about to write (Admin → data sources), and the synchronous codec answers from those pairs.
 * Plain secrets never leave the two processes of the app; nothing is written in clear.
 */
export interface AsyncSecretCodec {
  encrypt(plain: string): Promise<string>;
  decrypt(cipher: string): Promise<string>;
}
let remote: AsyncSecretCodec | undefined;
const opened = new Map<string, string>(); // cipher → plain
const sealed = new Map<string, string>(); // plain → cipher
export function useRemoteSecretCodec(r: AsyncSecretCodec | undefined): void {
  remote = r;
  opened.clear();
  sealed.clear();
  setSecretCodec(
    r && {
      encrypt: (plain) => {
        const c = sealed.get(plain);
        if (c === undefined) throw new Error('internal: a secret was sealed without primeSecrets() first');
        return c;
      },
      decrypt: (cipher) => {
        const p = opened.get(cipher);
        if (p === undefined) throw new Error('config.json holds an encrypted value this run has not opened (it changed after the start); restart the app');
        return p;
      },
    },
  );
}
/** With a remote codec: opens each `enc:` value and seals each plain one, so the synchronous codec can answer. */
export async function primeSecrets(values: (string | undefined | null)[]): Promise<void> {
  if (!remote) return;
  for (const v of values) {
    if (!v) continue;
    if (v.startsWith(PREFIX)) {
      const cipher = v.slice(PREFIX.length);
      if (!opened.has(cipher)) opened.set(cipher, await remote.decrypt(cipher));
    } else if (!sealed.has(v)) {
      const cipher = await remote.encrypt(v);
      sealed.set(v, cipher);
      opened.set(cipher, v);
    }
  }
}
