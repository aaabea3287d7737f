/**
 * The Electron entry (package.json "main"). A per-machine Windows install keeps its data in %ProgramData%\LineDeck
 * (main/lib/install.ts) unless LINEDECK_HOME is set. `--cli <command…>` runs the linedeck command line without a
 * window (./cli); anything else starts the console (./index). The console is imported with a top-level await, so
 * its pre-ready work (privileged schemes, the single-instance lock) still runs before the app's ready event.
 */
import { machineHome } from '../../main/lib/install';
import { cliArguments, runCliInElectron } from './cli';

const shared = machineHome(process.platform, process.resourcesPath, process.env);
if (shared && !process.env.LINEDECK_HOME) process.env.LINEDECK_HOME = shared;

const cli = cliArguments(process.argv);
if (cli) void runCliInElectron(cli);
else await import('./index');
