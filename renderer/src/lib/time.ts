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
export { dayjs };
