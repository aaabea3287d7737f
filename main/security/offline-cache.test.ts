/**
 * Offline logins trust only what the database still confirms (review of the store-and-forward change): a user
 * deactivated, locked or given a new password at another PC is dropped from this station's credential cache at its
 * next refresh, so an outage cannot be used to log in with the old state.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService, CredentialCache } from '../auth/auth';
import { createTestDb, type TestDb } from '../testing/db';

describe('the offline credential cache', () => {
  let db: TestDb;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDb();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-cred-'));
  });
  afterAll(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('drops what the database no longer confirms and keeps the rest', async () => {
    const cache = new CredentialCache(path.join(dir, 'credentials.json'));
    const station = new AuthService(db.dbs.pool('inspection'), undefined, cache);
    const admin = await station.createUser({ username: 'itadmin', email: 'it@plant.example', password: 'it-admin-long-pass', role: 'admin' });
    const users: Record<string, number> = {};
    for (const u of ['keeper', 'leaver', 'changer']) users[u] = (await station.createUser({ username: u, email: `${u}@plant.example`, password: `${u}-long-password`, role: 'worker' })).userId;
    for (const u of Object.keys(users)) await station.login(u, `${u}-long-password`);
    expect(cache.usernames().sort()).toEqual(['changer', 'keeper', 'leaver']);
    expect(await station.refreshCredentialCache()).toBe(0);
    // another PC (its own AuthService on the same database) deactivates one user and changes another's password
    const desk = new AuthService(db.dbs.pool('inspection'));
    const actor = { userId: admin.userId, username: 'itadmin', fullName: null, role: 'admin' as const };
    await desk.updateUser(users.leaver, { isActive: false }, actor);
    await desk.updateUser(users.changer, { password: 'a-brand-new-password-9' }, actor);
    expect(await station.refreshCredentialCache()).toBe(2);
    expect(cache.usernames()).toEqual(['keeper']);
  });
});
