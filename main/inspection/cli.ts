/**
 * `inspect --product CODE IMAGE...` and `bank build --product CODE [--images DIR]` (shared/contracts/cli.md).
 * Both create the product when it does not exist and migrate the database first (idempotent), so they work on a
 * fresh station. The JSON fields are exactly the contract's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ApiError } from '../api/kit';
import type { Outbox } from './outbox';
import type { InspectionPipeline } from './pipeline';
import type { InspectionService } from './service';
import type { CliContext, DomainCli } from '../domain';
import { CLI_USER } from '../domain';
import { registerMlCommands } from './cli-ml';

const PRODUCT_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,49}$/;

function productCode(v: string): string {
  if (!PRODUCT_CODE.test(v)) throw new InvalidArgumentError('2–50 letters, digits, dot, dash or underscore, starting with a letter or digit');
  return v;
}

function ratio(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError('a number in (0, 1]');
  return n;
}

type Runtime = { svc: InspectionService; pipeline: InspectionPipeline; outbox: Outbox };

/** Migrates first (a fresh station works), then the module's one service and pipeline; the app's close stops the engine. */
async function open(ctx: DomainCli<Runtime>): Promise<Runtime> {
  await ctx.migrate();
  return ctx.instance();
}

function reason(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return (e as Error)?.message ?? String(e);
}

async function inspectImages(ctx: CliContext, svc: InspectionService, pipeline: InspectionPipeline, code: string, images: string[]): Promise<void> {
  const product = await svc.ensureProduct(code, CLI_USER);
  if (!(await svc.currentBank(product.productId)))
    ctx.fail(`product ${code} has no memory bank yet: run \`linedeck bank build --product ${code} --images DIR\` with its normal images first`);
  const results: Record<string, unknown>[] = [];
  const failures: string[] = [];
  for (const file of images) {
    try {
      const r = await pipeline.inspect(code, { path: file }, { source: 'cli', actor: CLI_USER });
      results.push({
        image: file,
        inspection_code: r.inspection_code,
        defect_detected: r.defect_detected,
        anomaly_score: r.anomaly_score,
        defect_type: r.defect_type,
        regions: r.regions,
        artifacts: Object.fromEntries(Object.entries(r.artifacts).map(([k, v]) => [k, v ? svc.store.abs(v) : null])),
      });
      ctx.progress(`${file}: ${r.inspection_code} ${r.defect_detected ? `DEFECT ${r.defect_type ?? ''}` : 'ok'} score ${r.anomaly_score.toFixed(4)}`);
    } catch (e) {
      failures.push(`${file}: ${reason(e)}`);
      ctx.progress(`${file}: refused: ${reason(e)}`);
    }
  }
  ctx.output({ results }, () =>
    [
      'image\tinspection_code\tverdict\tanomaly_score\tdefect_type\tregions',
      ...results.map(
        (r) => `${r.image}\t${r.inspection_code}\t${r.defect_detected ? 'defect' : 'normal'}\t${(r.anomaly_score as number).toFixed(4)}\t${r.defect_type ?? '-'}\t${(r.regions as unknown[]).length}`,
      ),
    ].join('\n'),
  );
  if (failures.length) ctx.fail(`${failures.length} of ${images.length} image(s) could not be inspected: ${failures[0]}`);
}

async function buildBank(ctx: CliContext, svc: InspectionService, pipeline: InspectionPipeline, o: { product: string; images?: string; coresetRatio?: number }): Promise<void> {
  await svc.ensureProduct(o.product, CLI_USER);
  const build = await pipeline
    .beginBankBuild(o.product, { imagesDir: o.images ? path.resolve(o.images) : undefined, coresetRatio: o.coresetRatio, actor: CLI_USER })
    .catch((e) => ctx.fail(reason(e)));
  let last = '';
  const out = await build
    .run({
      progress: (f, m) => {
        const line = `${m ?? 'building'}${f == null ? '' : ` ${Math.round(f * 100)}%`}`;
        if (line !== last) ctx.progress(line);
        last = line;
      },
    })
    .catch((e) => ctx.fail(reason(e)));
  ctx.output(
    { deployment_id: out.deployment_id, bank_size: out.bank_size, image_threshold: out.image_threshold, ms: out.ms },
    () =>
      `deployment ${out.deployment_id}: bank ${out.bank_size[0]}×${out.bank_size[1]} from ${out.normal_images} normal image(s), ` +
      `${out.embedded_images} reference embedding(s), image threshold ${out.image_threshold}, ${out.ms} ms\nbank: ${out.bank_path}`,
  );
}

/**
 * `outbox [--forward]`: this machine's journaled results not yet in the database. Listing reads LINEDECK_HOME only
 * (it works with the database away); `--forward` writes them now, in order, and says what is left.
 */
async function outboxCommand(ctx: DomainCli<Runtime>, o: { forward?: boolean; retryRefused?: boolean }): Promise<void> {
  let forwarded = 0;
  let error: string | null = null;
  let box: Outbox;
  const { Outbox: OutboxImpl } = await import('./outbox');
  if (o.retryRefused) {
    const restored = new OutboxImpl(OutboxImpl.dirOf(ctx.paths().home)).journal.restoreSetAside();
    ctx.progress(`${restored} set-aside result(s) back in the queue`);
  }
  if (o.forward) {
    // no migration first: with the database away that would fail before saying what waits
    box = (await ctx.instance()).outbox;
    const r = await box.forwardAll();
    forwarded = r.forwarded;
    error = r.error;
  } else box = new OutboxImpl(OutboxImpl.dirOf(ctx.paths().home));
  const items = box.list();
  const pending = items.filter((i) => !i.refused).length;
  ctx.output({ pending, forwarded, items }, () =>
    [
      o.forward ? `forwarded ${forwarded}${error ? ` (stopped: ${error})` : ''}` : null,
      pending ? `${pending} result(s) waiting to be uploaded` : 'the outbox is empty',
      ...items.map((i) => `${i.created}  ${i.kind.padEnd(10)} ${i.uuid}${i.refused ? '  SET ASIDE' : ''}${i.attempts ? `  ${i.attempts} attempt(s)` : ''}${i.last_error ? `  ${i.last_error}` : ''}`),
    ]
      .filter(Boolean)
      .join('\n'),
  );
  if (o.forward && pending) ctx.fail(`${pending} result(s) are still waiting: ${error ?? 'see the list above'}`);
}

/**
 * `inspection get CODE --out DIR`: one inspection from any machine on the database — `inspection.json` (the
 * detail the result view shows) and its image and artifacts, fetched by hash from the plant database when this
 * machine has not cached them. A picture retention removed is named in `missing` with the reason.
 */
async function getInspection(ctx: DomainCli<Runtime>, code: string, out: string): Promise<void> {
  const { svc } = await ctx.instance();
  const detail = await svc.getInspection({ inspectionCode: code }).catch((e) => ctx.fail(reason(e)));
  const dir = path.resolve(out);
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const missing: { name: string; reason: string }[] = [];
  const wanted: [string, string | null | undefined][] = [['image', detail.testImage?.filePath]];
  const a = detail.result?.artifacts;
  if (a) wanted.push(['heatmap', a.heatmap], ['mask', a.mask], ['overlay', a.overlay], ['comparison', a.comparison], ['map', a.anomalyMap]);
  for (const [name, rel] of wanted) {
    if (!rel) continue;
    const file = `${name}${path.extname(rel) || '.bin'}`;
    try {
      fs.copyFileSync(await svc.store.local(rel), path.join(dir, file));
      files.push(file);
    } catch (e) {
      const why = detail.picturesRemovedAt ? `removed by retention (${detail.picturesRemovedAt})` : reason(e);
      missing.push({ name: file, reason: why });
    }
  }
  fs.writeFileSync(path.join(dir, 'inspection.json'), `${JSON.stringify(detail, null, 2)}\n`);
  files.unshift('inspection.json');
  ctx.output({ inspection_code: detail.inspectionCode, files, ...(missing.length ? { missing } : {}) }, () =>
    [`${detail.inspectionCode}: ${files.length} file(s) in ${dir}`, ...files.map((f) => `  ${f}`), ...missing.map((m) => `  ${m.name}: ${m.reason}`)].join('\n'),
  );
  if (missing.length && !detail.picturesRemovedAt) ctx.fail(`${missing.length} file(s) could not be fetched: ${missing[0].reason}`);
}

/** `inspection get`, `outbox`, `inspect`, `bank build`, then `ml …` (./cli-ml.ts). The module's services load when a command runs. */
export function registerInspectionCommands(program: Command, ctx: DomainCli<Runtime>): void {
  program
    .command('inspection')
    .description('inspections')
    .command('get')
    .description('one inspection as JSON with its image and artifacts, from any machine on the database')
    .argument('<code>', 'inspection code (INS-YYYYMMDD-NNNN)')
    .requiredOption('--out <dir>', 'folder to write inspection.json, the image and the artifacts into')
    .action(async (code: string, o: { out: string }) => {
      if (!/^INS-\d{8}-\d{4,}$/.test(code)) ctx.fail(`not an inspection code: ${code} (INS-YYYYMMDD-NNNN)`, 2);
      await ctx.migrate();
      await getInspection(ctx, code, o.out);
    });

  program
    .command('outbox')
    .description('results journaled on this station and not yet in the database; --forward writes them now')
    .option('--forward', 'write the queued results to the database now')
    .option('--retry-refused', 'put the results set aside (refused by the database) back in the queue first')
    .action(async (o: { forward?: boolean; retryRefused?: boolean }) => outboxCommand(ctx, o));

  program
    .command('inspect')
    .description('inspect images with a product’s memory bank: store them and their artifacts, write inspections and results')
    .requiredOption('--product <code>', 'product code (created when it does not exist)', productCode)
    .argument('<images...>', 'image files (JPEG, PNG, WebP, TIFF)')
    .action(async (images: string[], o: { product: string }) => {
      const { svc, pipeline } = await open(ctx);
      await inspectImages(ctx, svc, pipeline, o.product, images);
    });

  const bank = program.command('bank').description('memory banks');
  bank
    .command('build')
    .description('build and deploy a product’s memory bank and reference embeddings (a deployments row)')
    .requiredOption('--product <code>', 'product code (created when it does not exist)', productCode)
    .option('--images <dir>', 'folder whose image files become the product’s normal reference images')
    .option('--coreset-ratio <r>', 'fraction of patch features kept in the bank (default 0.1)', ratio)
    .action(async (o: { product: string; images?: string; coresetRatio?: number }) => {
      if (o.images) {
        const dir = path.resolve(o.images);
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) ctx.fail(`--images: no such folder ${dir}`, 2);
      }
      const { svc, pipeline } = await open(ctx);
      await buildBank(ctx, svc, pipeline, o);
    });

  registerMlCommands(program, ctx);
}
