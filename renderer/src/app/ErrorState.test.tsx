// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { CallError } from '../api/client';
import { i18n, initI18n } from './i18n';
import { ErrorState, refusalParams } from './ui';

const deactivated = () =>
  new CallError({
    kind: 'conflict',
    message: 'P-100 is deactivated; activate it to inspect',
    details: { reason: 'deactivated', params: { productCode: 'P-100' } },
  });

describe('ErrorState', () => {
  afterEach(cleanup);

  it("says main's reason in Korean with its params filled in, main's English sentence below it, smaller", async () => {
    initI18n('ko');
    await act(() => i18n.changeLanguage('ko'));
    render(<ErrorState error={deactivated()} />);
    const alert = screen.getByRole('alert');
    const main = alert.querySelector('strong')!;
    expect(main.textContent).toBe('P-100은(는) 사용 중지된 제품입니다. 관리자에게 문의하세요.');
    const detail = screen.getByTestId('error-detail');
    expect(detail.tagName).toBe('SMALL');
    expect(detail.textContent).toBe('P-100 is deactivated; activate it to inspect');
  });

  it('in English too; a zod refusal names the field', async () => {
    initI18n('en');
    await act(() => i18n.changeLanguage('en'));
    render(<ErrorState error={new CallError({ kind: 'validation', message: '✖ Too small', details: { reason: 'invalid_input', params: { field: 'productCode', code: 'too_small' } } })} />);
    expect(screen.getByRole('alert').querySelector('strong')!.textContent).toBe('Invalid input: productCode (too_small).');
  });

  it('without a reason (or with one it has no words for) shows the kind and main’s message as before', async () => {
    initI18n('ko');
    await act(() => i18n.changeLanguage('ko'));
    render(<ErrorState error={new CallError({ kind: 'internal', message: 'boom', details: { reason: 'no_such_reason' } })} />);
    expect(screen.getByRole('alert').querySelector('strong')!.textContent).toBe('내부 오류');
    expect(screen.getByRole('alert').textContent).toContain('boom');
    expect(screen.queryByTestId('error-detail')).toBeNull();
  });

  it('a reason whose params are missing falls back to the older common text rather than show {{placeholders}}', async () => {
    initI18n('ko');
    await act(() => i18n.changeLanguage('ko'));
    render(<ErrorState error={new CallError({ kind: 'not_found', message: 'P has no memory bank yet', details: { reason: 'no_bank' } })} />);
    expect(screen.getByRole('alert').textContent).not.toContain('{{');
    expect(screen.getByRole('alert').querySelector('strong')!.textContent).toContain('메모리 뱅크');
  });

  it('refusalParams keeps only string and number values', () => {
    expect(refusalParams({ error: { details: { params: { a: 'x', b: 2, c: { no: 1 }, d: null } } } })).toEqual({ a: 'x', b: 2 });
    expect(refusalParams({ error: { details: { params: ['x'] } } })).toBeUndefined();
    expect(refusalParams(null)).toBeUndefined();
  });
});
