/**
 * Procedures of the stations domain: the consoles that share the plant database (inspection stations and
 * control-room PCs), listed for anyone logged in and renamed by admins (audited).
 */
import { z } from 'zod';
import { proc, type ProcedureTable } from '../api/kit';
import { STATION_NAME_MAX, type StationRow, type StationsList } from './types';

export const stationNameSchema = z
  .string()
  .trim()
  .min(1, 'enter a station name')
  .max(STATION_NAME_MAX, `a station name has at most ${STATION_NAME_MAX} characters`)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'a station name cannot contain control characters');

export const stationsProcedures = {
  'stations.list': proc<StationsList>()({
    role: 'viewer',
    input: z.object({}),
    summary: 'every registered console: name, kind, host, version, last heartbeat, outbox depth, models, state (online/late/offline)',
  }),
  'stations.rename': proc<StationRow>()({
    role: 'admin',
    input: z.object({ stationId: z.uuid('a station id is a UUID'), name: stationNameSchema }),
    summary: 'rename a station (names are unique regardless of case); audited',
  }),
} satisfies ProcedureTable;
