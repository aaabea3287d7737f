import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { humanLine, initLogging, log, rotateIfLarge } from './log';

describe('logging', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    initLogging({});
  });

  it('rotates the log file past its size, keeping a bounded number of old files', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-log-'));
    const file = path.join(dir, 'linedeck.log');
    for (let i = 1; i <= 4; i++) {
      fs.writeFileSync(file, `generation ${i}\n`.repeat(10));
      expect(rotateIfLarge(file, 50, 2)).toBe(true);
    }
    fs.writeFileSync(file, 'small');
    expect(rotateIfLarge(file, 50, 2)).toBe(false);
    expect(fs.readdirSync(dir).sort()).toEqual(['linedeck.1.log', 'linedeck.2.log', 'linedeck.log']);
    expect(fs.readFileSync(path.join(dir, 'linedeck.1.log'), 'utf8')).toContain('generation 4');
    expect(fs.readFileSync(path.join(dir, 'linedeck.2.log'), 'utf8')).toContain('generation 3');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a terminal gets warnings as plain lines and no JSON; the file gets every JSON entry', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ld-log-'));
    const out: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    initLogging({ logDir: dir, stderr: 'human', level: 'info' });
    log('outbox').info({ depth: 3 }, 'forwarded');
    log('outbox').warn({ depth: 7, err: 'connect ECONNREFUSED' }, 'database away');
    await new Promise((r) => setTimeout(r, 300));
    initLogging({});
    await new Promise((r) => setTimeout(r, 300));
    expect(out.join('')).toBe('warning: database away — connect ECONNREFUSED (outbox) depth=7\n');
    const lines = fs.readFileSync(path.join(dir, 'linedeck.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.msg)).toEqual(['forwarded', 'database away']);
    expect(humanLine('{"level":50,"msg":"boom","component":"boot"}')).toBe('error: boom (boot)');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
