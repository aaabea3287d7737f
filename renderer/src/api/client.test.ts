import { describe, expect, it } from 'vitest';
import { toFormData } from './client';

describe('renderer client: uploads as bytes', () => {
  it('sends an input without binary values as JSON (no form)', () => {
    expect(toFormData({ productId: 1, image: { base64: 'AAAA' } })).toBeUndefined();
    expect(toFormData(undefined)).toBeUndefined();
  });

  it('takes Uint8Array and Blob values out as parts, with {$bin} placeholders in the input field', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const form = toFormData({ productId: 7, image: { bytes, fileName: 'a.png' }, more: [new Blob(['xy'])] })!;
    expect(JSON.parse(String(form.get('input')))).toEqual({ productId: 7, image: { bytes: { $bin: 'b0' }, fileName: 'a.png' }, more: [{ $bin: 'b1' }] });
    expect([...new Uint8Array(await (form.get('b0') as Blob).arrayBuffer())]).toEqual([1, 2, 3]);
    expect(await (form.get('b1') as Blob).text()).toBe('xy');
  });
});
