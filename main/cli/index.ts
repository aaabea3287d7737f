/**
 * The `linedeck` command line (contract: shared/contracts/cli.md). `runCli` is pure of process globals so tests can
 * run it in-process; main/cli/bin.ts maps its result to the exit status.
 */
import { Command, CommanderError } from 'commander';
import { describePgError } from '../db/pools';
import { CliFailure, createCliContext, type CliContext } from './context';
import { registerCore } from './commands/core';
import { modules } from '../modules';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export function buildProgram(io: CliIo): { program: Command; ctx: CliContext } {
  const program = new Command('linedeck')
    .description('LineDeck station command line: database, cylinders, telemetry and inspection services')
    .option('--database-url <url>', 'PostgreSQL URL for every data source (default: LINEDECK_DATABASE_URL, else the embedded database)')
    .option('--home <dir>', 'station folder (default: LINEDECK_HOME, else the desktop app’s user-data folder)')
    .option('--json', 'print exactly one JSON document on stdout')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const ctx = createCliContext(program, io);
  registerCore(program, ctx);
  // each module's commands, with the module's own instance on demand (the App is built once, by the first)
  for (const m of modules) m.commands?.(program, Object.assign(Object.create(ctx) as typeof ctx, { instance: async () => (await ctx.app()).instance(m) }) as never);
  // every sub-command inherits the usage-error behaviour
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return { program, ctx };
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { program, ctx } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof CliFailure) {
      io.stderr(`linedeck: ${e.message.split('\n')[0]}\n`);
      return e.exitCode;
    }
    io.stderr(`linedeck: ${describePgError(e).split('\n')[0]}\n`);
    return 1;
  } finally {
    await ctx.close().catch(() => undefined);
  }
}
