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
