/** scrypt hashes (./password.ts): format, verification, tampered rows, the policy, and the main thread stays free. */
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, passwordProblem, SCRYPT_PARAMS, verifyPassword } from './password';

describe('password hashes', () => {
  it('records its parameters, verifies, and refuses wrong, tampered or unknown hashes', async () => {
    const h = await hashPassword('a-long-enough-pass');
    expect(h).toMatch(new RegExp(`^scrypt\\$${SCRYPT_PARAMS.N}\\$${SCRYPT_PARAMS.r}\\$${SCRYPT_PARAMS.p}\\$`));
    expect(await hashPassword('a-long-enough-pass')).not.toBe(h); // salted
    expect(await verifyPassword('a-long-enough-pass', h)).toBe(true);
    expect(await verifyPassword('a-long-enough-pasS', h)).toBe(false);
    const parts = h.split('$');
    expect(await verifyPassword('a-long-enough-pass', [...parts.slice(0, 1), String(2 ** 30), ...parts.slice(2)].join('$'))).toBe(false);
    expect(await verifyPassword('a-long-enough-pass', 'plain-text')).toBe(false);
    expect(needsRehash(h)).toBe(false);
    expect(needsRehash(bcrypt.hashSync('x', 4))).toBe(true);
    expect(needsRehash(h.replace(`$${SCRYPT_PARAMS.N}$`, '$1024$'))).toBe(true);
  });

  it('hashes on the thread pool: the main thread keeps running timers meanwhile', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    await Promise.all([hashPassword('one-long-password'), hashPassword('two-long-password')]);
    const ms = performance.now() - t0;
    clearInterval(timer);
    // a hash on the main thread would let no timer run until it returned
    expect(ms).toBeGreaterThan(30);
    expect(ticks).toBeGreaterThanOrEqual(Math.min(3, Math.floor(ms / 5 / 4)));
  });

  it('applies the policy', () => {
    expect(passwordProblem('short-9ch', 'x')).toMatch(/10 characters/);
    expect(passwordProblem('Operator12', 'operator12')).toMatch(/user name/);
    expect(passwordProblem('Password123', 'x')).toMatch(/common/);
    expect(passwordProblem('linedeck-demo', 'viewer1')).toMatch(/common/);
    expect(passwordProblem('linedeck-demo', 'viewer1', { allowDemo: 'linedeck-demo' })).toBeNull();
    expect(passwordProblem('가나다라마바사아자차', 'x')).toBeNull(); // ten syllables are ten characters
    expect(passwordProblem('pump-room-7-night', 'op1')).toBeNull();
  });
});
