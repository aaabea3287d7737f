/**
 * `linedeck stations` (contract: shared/contracts/cli.md):
 *   stations → {"stations": [{"name","kind","host","version","last_seen","online","outbox"}]}
 *              (more fields: station_id, state, models, last_inspection, this_station); a table without --json.
 * `last_seen` is UTC with Z; `online` is the state of decisions.md Plant rule 6 being 'online'.
 */
import type { Command } from 'commander';
import type { DomainCli } from '../domain';
import type { StationsService } from './service';
import type { StationsList } from './types';

export function stationsJson(l: StationsList) {
  return {
    stations: l.stations.map((s) => ({
      name: s.name,
      kind: s.kind,
      host: s.host,
      version: s.version,
      last_seen: s.lastHeartbeat,
      online: s.state === 'online',
      outbox: s.outboxDepth,
      station_id: s.stationId,
      state: s.state,
      models: s.modelsInUse,
      last_inspection: s.lastInspectionAt,
      this_station: s.stationId === l.self,
    })),
  };
}

function table(l: StationsList): string {
  if (!l.stations.length) return 'no station has registered yet (a console registers when it starts)';
  const head = ['NAME', 'KIND', 'HOST', 'VERSION', 'LAST SEEN (UTC)', 'STATE', 'OUTBOX'];
  const rows = l.stations.map((s) => [
    `${s.name}${s.stationId === l.self ? ' *' : ''}`,
    s.kind,
    s.host,
    s.version,
    `${s.lastHeartbeat.slice(0, 19).replace('T', ' ')} (${s.secondsSinceHeartbeat} s ago)`,
    s.state,
    String(s.outboxDepth),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const online = l.stations.filter((s) => s.state === 'online').length;
  return [line(head), ...rows.map(line), `${l.stations.length} stations, ${online} online${l.self ? ' (* this console)' : ''}`].join('\n');
}

export function registerStationsCommands(program: Command, cli: DomainCli<{ svc: StationsService }>): void {
  program
    .command('stations')
    .description('every registered console: name, kind, host, version, last heartbeat, outbox depth, state')
    .action(async () => {
      const st = await cli.station();
      const has = await st.dbs.pool('inspection').query<{ r: string | null }>(`select to_regclass('stations') as r`);
      if (!has.rows[0].r) cli.fail('the stations table does not exist: run `linedeck migrate` first');
      const l = await (await cli.instance()).svc.list();
      cli.output(stationsJson(l), () => table(l));
    });
}
