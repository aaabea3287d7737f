/**
 * Test kit (main/inspection/outbox-kill.test.ts): a station process that inspects synthetic pictures through its
 * outbox and prints `VERDICT <index> <uuid>` the moment each verdict is answered, then forwards everything and
 * prints `DONE`. The test kills it with SIGKILL at random moments and starts it again.
 *
 *   tsx kill-station.ts <home> <database url> <product code> <first index> <count>
 */
import fs from 'node:fs';
import { AuthService } from '../../auth/auth';
import { stationPaths } from '../../config';
import { Databases } from '../../db/pools';
import { EventBus } from '../../events';
import { JobRunner } from '../../jobs/jobs';
import { createInspectionRuntime } from '../runtime';
import { generateImage } from '../synth/generate';

const [home, url, product, first, count] = process.argv.slice(2);
const say = (line: string) => fs.writeSync(1, `${line}\n`);

async function main(): Promise<void> {
  const dbs = new Databases({ cylinders: url, telemetry: url, inspection: url }, { connectionTimeoutMs: 2000 });
  const bus = new EventBus();
  const services = { dbs, paths: stationPaths(home), bus, jobs: new JobRunner(bus), auth: new AuthService(dbs.pool('inspection')), disposers: [] as (() => Promise<void> | void)[] };
  const rt = createInspectionRuntime(services);
  rt.outbox.start();
  say(`START depth=${rt.outbox.depth()}`);
  for (let i = Number(first); i < Number(first) + Number(count); i++) {
    const png = (await generateImage({ surface: 'cast', level: 'plain', label: i % 5 === 4 ? 'scratch' : 'normal', seed: 'kill', index: i, size: 128 })).png;
    const r = await rt.pipeline.inspect(product, { bytes: png, fileName: `kill-${i}.png` }, { source: 'camera', outbox: rt.outbox, waitMs: 0, stationId: rt.stationId() });
    say(`VERDICT ${i} ${r.client_uuid}`);
  }
  while (rt.outbox.depth() > 0) await new Promise((r) => setTimeout(r, 50));
  say('DONE');
  for (const d of services.disposers.reverse()) await d();
  await dbs.close();
}

main().catch((e) => {
  say(`ERROR ${(e as Error).stack ?? e}`);
  process.exit(1);
});
