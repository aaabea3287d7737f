/**
 * The `linedeck` command line (contract: shared/contracts/cli.md). `runCli` is pure of process globals so tests can
 * run it in-process; main/cli/bin.ts maps its result to the exit status.
 */
import { Command, CommanderError } from 'commander';
import { describePgError } from '../db/pools';
import { CliFailure, createCliContext, type CliContext } from './context';
import { registerCore } from './commands/core';
import { registerDomainCommands } from './commands/domains';

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
  registerDomainCommands(program, ctx);
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
