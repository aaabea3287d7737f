/** Times are stored and sent in UTC; people see Asia/Seoul (dayjs with the utc and timezone plugins). */
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc';
import timezone from 'dayjs/plugin/timezone';

dayjs.extend(utc);
dayjs.extend(timezone);

export const PLANT_TZ = 'Asia/Seoul';

export function fmtDateTime(t: string | number | Date | null | undefined, withSeconds = true): string {
  if (t === null || t === undefined || t === '') return '—';
  const d = dayjs(t);
  if (!d.isValid()) return '—';
  return d.tz(PLANT_TZ).format(withSeconds ? 'YYYY-MM-DD HH:mm:ss' : 'YYYY-MM-DD HH:mm');
}
export function fmtTime(t: string | number | Date | null | undefined): string {
  if (t === null || t === undefined || t === '') return '—';
  return dayjs(t).tz(PLANT_TZ).format('HH:mm:ss');
}
export function fmtDate(t: string | number | Date | null | undefined): string {
  if (t === null || t === undefined || t === '') return '—';
  return dayjs(t).tz(PLANT_TZ).format('YYYY-MM-DD');
}

/**
 * Chart time axes in Asia/Seoul whatever the PC's zone (issue #19). ECharts' `time` axis picks its ticks (midnight,
 * whole hours) and formats them in the PC's zone unless the option says `useUTC: true`. We pick that: every chart
 * option with a time axis sets `useUTC: true` and its x values are "plant-axis" numbers, the UTC instant shifted by
 * +9 h (Seoul is UTC+9 all year, no DST), so ECharts' UTC midnight is Seoul's midnight and its UTC labels read as
 * Seoul wall time. Feed data through toPlantAxis, read clicked / hovered values back with fromPlantAxis, and write
 * labels with fmtPlantAxis (pure: no dependence on the PC's zone; tested under TZ=UTC and another zone).
 */
export const PLANT_OFFSET_MS = 9 * 3_600_000;
/** A UTC instant (epoch ms or ISO string) → the number a chart's time axis holds. */
export function toPlantAxis(t: number | string): number {
  return (typeof t === 'number' ? t : Date.parse(t)) + PLANT_OFFSET_MS;
}
/** A time-axis value → the UTC instant (epoch ms). */
export function fromPlantAxis(v: number): number {
  return v - PLANT_OFFSET_MS;
}
/** A time-axis value as Seoul wall time: 'YYYY-MM-DD HH:mm' (or with seconds). */
export function fmtPlantAxis(v: number, withSeconds = false): string {
  if (!Number.isFinite(v)) return '—';
  const s = new Date(v).toISOString().replace('T', ' ');
  return withSeconds ? s.slice(0, 19) : s.slice(0, 16);
}
/** Today's date in Seoul, 'YYYY-MM-DD'. */
export function plantToday(now: number = Date.now()): string {
  return new Date(now + PLANT_OFFSET_MS).toISOString().slice(0, 10);
}
/** A Seoul time stamp for file names: 'YYYYMMDD-HHmm'. */
export function plantFileStamp(now: number = Date.now()): string {
  const s = new Date(now + PLANT_OFFSET_MS).toISOString();
  return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}-${s.slice(11, 13)}${s.slice(14, 16)}`;
}
export { dayjs };
