/**
 * The `linedeck` command line (contract: shared/contracts/cli.md). `runCli` is pure of process globals so tests can
 * run it in-process; main/cli/bin.ts maps its result to the exit status.
 */
import { Command, CommanderError } from 'commander';
import { CliFailure, createCliContext, describeError, type CliContext } from './context';
import { registerCore } from './commands/core';
import { domainCommands } from './commands/domains';

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
  for (const [name, register] of Object.entries(domainCommands)) {
    const instance = async () => (await ctx.app()).instances().find((b) => b.module.name === name)!.instance;
    register(program, Object.assign(Object.create(ctx) as typeof ctx, { instance }) as never);
  }
  // every sub-command inherits the usage-error behaviour
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return { program, ctx };
}

/** `beforeAction`: once a command line has parsed, before its command runs (bin.ts starts the logging there). */
export async function runCli(argv: string[], io: CliIo, opts: { beforeAction?: () => void | Promise<void> } = {}): Promise<number> {
  const { program, ctx } = buildProgram(io);
  if (opts.beforeAction) program.hook('preAction', opts.beforeAction);
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
    io.stderr(`linedeck: ${(await describeError(e)).split('\n')[0]}\n`);
    return 1;
  } finally {
    await ctx.close().catch(() => undefined);
  }
}
