/**
 * Password hashes: scrypt from Node's crypto (asynchronous, so it runs on libuv's thread pool, not on the main
 * thread; no byte limit, unlike bcrypt's 72). Stored as `scrypt$N$r$p$salt$hash` (base64url salt and hash), so
 * parameters can be raised later and old hashes still verify. Hashes written by earlier versions are bcrypt
 * (`$2a$`/`$2b$`/`$2y$`, bcryptjs): they verify here and the login rehashes them to scrypt (needsRehash).
 *
 * Parameters: N=2^14, r=8, p=1 (16 MiB per hash) measured 87–149 ms per hash on this 2-core machine shared with
 * other work (N=2^15: ~210 ms, N=2^16: ~400–800 ms), inside the 50–100 ms aim on an idle core.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';

const scrypt = promisify(crypto.scrypt) as (password: crypto.BinaryLike, salt: crypto.BinaryLike, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1 } as const;
const KEY_LEN = 32;
const SALT_LEN = 16;

/** Korean typed on one machine may arrive composed (NFC) and on another decomposed (NFD): hash one form. */
const normalize = (password: string) => password.normalize('NFC');

const derive = (password: string, salt: Buffer, N: number, r: number, p: number) => scrypt(normalize(password), salt, KEY_LEN, { N, r, p, maxmem: 256 * N * r });

export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = SCRYPT_PARAMS;
  const salt = crypto.randomBytes(SALT_LEN);
  const key = await derive(password, salt, N, r, p);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const isBcrypt = (stored: string) => /^\$2[aby]\$\d\d\$/.test(stored);

/** Whether `password` matches `stored` (scrypt or legacy bcrypt); false for anything unreadable. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('scrypt$')) {
    const parts = stored.split('$');
    if (parts.length !== 6) return false;
    const [N, r, p] = parts.slice(1, 4).map(Number);
    // refuse absurd parameters rather than allocate gigabytes for a tampered row
    if (!Number.isInteger(N) || !Number.isInteger(r) || !Number.isInteger(p) || N < 2 || N > 2 ** 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
    const salt = Buffer.from(parts[4], 'base64url');
    const want = Buffer.from(parts[5], 'base64url');
    if (!want.length) return false;
    const got = await scrypt(normalize(password), salt, want.length, { N, r, p, maxmem: 256 * N * r });
    return crypto.timingSafeEqual(got, want);
  }
  if (isBcrypt(stored)) return bcrypt.compare(password, stored);
  return false;
}

/** A stored hash that is not scrypt with today's parameters: rewrite it after the next successful login. */
export function needsRehash(stored: string): boolean {
  const { N, r, p } = SCRYPT_PARAMS;
  return !stored.startsWith(`scrypt$${N}$${r}$${p}$`);
}

let dummy: Promise<string> | undefined;
/** A hash of nothing anyone knows: verified for unknown users, so timing does not reveal which names exist. */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomBytes(18).toString('base64'));
  return dummy;
}

/** Passwords people pick first; refused for every account (the demo seed's shared password included, except there). */
const COMMON = new Set(
  [
    'password', 'password1', 'password12', 'password123', 'password1234', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'p@ssw0rd123',
    '123456', '1234567', '12345678', '123456789', '1234567890', '12345678910', '0123456789', '0987654321', '1111111111',
    '0000000000', '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx', '1qaz2wsx3edc', 'qwerty', 'qwerty123', 'qwertyuiop', 'qwer1234',
    'asdfghjkl', 'asdf1234', 'zxcvbnm123', 'abc123', 'abcd1234', 'abcdefghij', 'iloveyou', 'welcome', 'welcome1',
    'welcome123', 'letmein', 'letmein123', 'admin', 'admin123', 'admin1234', 'administrator', 'changeme', 'changeme123',
    'default', 'secret', 'trustno1', 'sunshine', 'football', 'baseball', 'superman', 'dragon', 'monkey', 'master',
    'linedeck', 'linedeck1', 'linedeck123', 'linedeck-demo', 'linedeck-admin', 'samsung123', 'dkssudgktpdy', 'qwerasdfzxcv',
  ].map((s) => s.toLowerCase()),
);

export const PASSWORD_MIN = 10;

/**
 * The password policy: at least PASSWORD_MIN characters, not the user name (in any case), not a common password.
 * Returns the reason it is refused, or null. `allowDemo` lets the demo seed keep its documented shared password.
 */
export function passwordProblem(password: string, username: string, opts: { allowDemo?: string } = {}): string | null {
  if ([...password].length < PASSWORD_MIN) return `at least ${PASSWORD_MIN} characters`;
  const p = password.trim().toLowerCase();
  if (p === username.trim().toLowerCase()) return 'must not be the user name';
  if (COMMON.has(p) && password !== opts.allowDemo) return 'too common: choose another password';
  return null;
}
