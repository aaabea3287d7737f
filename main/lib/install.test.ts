import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INSTALL_FILE, machineHome } from './install';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linedeck-install-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('machineHome', () => {
  it('a per-machine Windows install keeps its data in %ProgramData%\\LineDeck', () => {
    fs.writeFileSync(path.join(dir, INSTALL_FILE), JSON.stringify({ scope: 'machine' }));
    expect(machineHome('win32', dir, { ProgramData: 'D:\\ProgramData' })).toBe('D:\\ProgramData\\LineDeck');
    expect(machineHome('win32', dir, {})).toBe('C:\\ProgramData\\LineDeck');
  });

  it('nothing for another platform, a missing or other scope, or no resources folder (development)', () => {
    fs.writeFileSync(path.join(dir, INSTALL_FILE), JSON.stringify({ scope: 'machine' }));
    expect(machineHome('linux', dir, {})).toBeUndefined();
    expect(machineHome('win32', undefined, {})).toBeUndefined();
    fs.writeFileSync(path.join(dir, INSTALL_FILE), JSON.stringify({ scope: 'user' }));
    expect(machineHome('win32', dir, {})).toBeUndefined();
    fs.writeFileSync(path.join(dir, INSTALL_FILE), 'not json');
    expect(machineHome('win32', dir, {})).toBeUndefined();
    fs.rmSync(path.join(dir, INSTALL_FILE));
    expect(machineHome('win32', dir, {})).toBeUndefined();
  });
});
