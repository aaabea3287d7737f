// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../../../app/i18n';
import { mountScreen, stubBridge, type CallHandler } from '../../../testing/screen';
import type { Role } from '../../../../../main/api/kit';
import type { StationRow, StationsList } from '../../../../../main/stations/types';
import { StationsScreen, STATIONS_REFRESH_MS } from './StationsScreen';

const row = (over: Partial<StationRow>): StationRow => ({
  stationId: '11111111-1111-4111-8111-111111111111',
  name: 'LINE-1',
  kind: 'station',
  host: 'pc-line-1',
  version: '0.1.0',
  modelsInUse: null,
  outboxDepth: 0,
  heartbeatIntervalMs: 15_000,
  lastHeartbeat: '2026-12-01T03:04:05.000Z',
  registeredAt: '2026-11-30T00:00:00.000Z',
  lastInspectionAt: null,
  lastInspectionCode: null,
  state: 'online',
  secondsSinceHeartbeat: 4,
  ...over,
});

const LIST: StationsList = {
  now: '2026-12-01T03:04:09.000Z',
  self: '11111111-1111-4111-8111-111111111111',
  stations: [
    row({ modelsInUse: { backbone: 'wrn50', embedding: 'clip-b32' }, outboxDepth: 2 }),
    row({ stationId: '22222222-2222-4222-8222-222222222222', name: 'LINE-2', host: 'pc-line-2', state: 'late', secondsSinceHeartbeat: 60 }),
    row({ stationId: '33333333-3333-4333-8333-333333333333', name: '관제실', kind: 'desk', host: 'desk-1', state: 'offline', secondsSinceHeartbeat: 900 }),
  ],
};

const bridge = (handler: CallHandler) => stubBridge(handler).call;
const mount = (role: Role, lang: 'ko' | 'en' = 'ko') => mountScreen(<StationsScreen />, role, lang);

describe('Admin → Stations', () => {
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('lists the stations with Korean state badges, kinds and Asia/Seoul times; managers see no rename', async () => {
    bridge(() => ({ ok: true, value: LIST }));
    mount('manager');
    const table = await screen.findByRole('table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.dataset.state)).toEqual(['online', 'late', 'offline']);
    expect(rows[0].textContent).toContain('온라인');
    expect(rows[0].textContent).toContain('이 PC');
    expect(rows[0].textContent).toContain('검사 스테이션');
    expect(rows[0].textContent).toContain('백본: wrn50, 임베딩: clip-b32');
    expect(rows[0].textContent).toContain('2026-12-01 12:04:05'); // 03:04:05Z in Asia/Seoul
    expect(rows[1].textContent).toContain('지연');
    expect(rows[2].textContent).toContain('오프라인');
    expect(rows[2].textContent).toContain('관제 PC');
    expect(screen.getByRole('status').textContent).toContain('스테이션 3대 중 1대 온라인');
    expect(screen.queryByRole('button', { name: /이름 변경/ })).toBeNull();
    await act(() => i18n.changeLanguage('en'));
    expect(rows[1].textContent).toContain('Late');
    expect(rows[2].textContent).toContain('Control-room PC');
  });

  it('refreshes every 10 s', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const call = bridge(() => ({ ok: true, value: LIST }));
    mount('viewer');
    await screen.findByRole('table');
    const lists = () => call.mock.calls.filter(([n]) => n === 'stations.list').length;
    expect(lists()).toBe(1);
    await act(() => vi.advanceTimersByTimeAsync(STATIONS_REFRESH_MS - 500));
    expect(lists()).toBe(1);
    await act(() => vi.advanceTimersByTimeAsync(1_000));
    await waitFor(() => expect(lists()).toBe(2));
    expect(STATIONS_REFRESH_MS).toBe(10_000);
  });

  it('shows the empty and the error states', async () => {
    let fail = true;
    bridge(() => (fail ? { ok: false, error: { kind: 'unavailable', message: 'database away' } } : { ok: true, value: { ...LIST, stations: [] } }));
    mount('admin');
    expect(screen.getByRole('status').textContent).toContain('불러오는 중');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('database away');
    fail = false;
    fireEvent.click(within(alert).getByRole('button', { name: '다시 시도' }));
    expect(await screen.findByText(/등록된 스테이션이 없습니다/)).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('admins rename inline; a taken name is said in the operator’s language', async () => {
    let stations = LIST.stations;
    const call = bridge((name, input) => {
      if (name === 'stations.list') return { ok: true, value: { ...LIST, stations } };
      const { stationId, name: newName } = input as { stationId: string; name: string };
      if (newName === 'LINE-2') return { ok: false, error: { kind: 'conflict', message: 'another station is already named "LINE-2"', details: { reason: 'station_name_taken' } } };
      stations = stations.map((s) => (s.stationId === stationId ? { ...s, name: newName } : s));
      return { ok: true, value: stations.find((s) => s.stationId === stationId) };
    });
    mount('admin');
    await screen.findByRole('table');
    fireEvent.click(screen.getByRole('button', { name: 'LINE-1 이름 변경' }));
    const input = screen.getByRole('textbox', { name: '새 이름' });
    fireEvent.change(input, { target: { value: 'LINE-2' } });
    fireEvent.click(screen.getByRole('button', { name: '저장' }));
    expect((await screen.findByRole('alert')).textContent).toBe("'LINE-2' 이름은 다른 스테이션이 이미 쓰고 있습니다");
    fireEvent.change(input, { target: { value: '1라인 검사' } });
    fireEvent.click(screen.getByRole('button', { name: '저장' }));
    await waitFor(() => expect(screen.queryByRole('textbox')).toBeNull());
    expect(call).toHaveBeenCalledWith('stations.rename', { stationId: LIST.stations[0].stationId, name: '1라인 검사' });
    await screen.findByText('1라인 검사');
    // Escape cancels without a call
    fireEvent.click(screen.getByRole('button', { name: 'LINE-2 이름 변경' }));
    fireEvent.keyDown(screen.getByRole('textbox', { name: '새 이름' }), { key: 'Escape' });
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(call.mock.calls.filter(([n]) => n === 'stations.rename')).toHaveLength(2);
  });
});
