/**
 * The domains' CLI commands for the command line: each module's `commands` (main/<domain>/module.ts), by module
 * name, in main/modules.ts's order. They are the very same functions, imported here from the domains' cli.ts so
 * that parsing a command line and `--help` load no module, service or database driver: a domain's cli.ts imports
 * only commander and types at the top and its services inside the actions. main/cli/cli.test.ts checks that this
 * table is exactly the modules' `commands`, so a module's commands cannot be missed or differ here.
 */
import type { Command } from 'commander';
import { registerCylinderCommands } from '../../cylinders/cli';
import { registerFilesCommands } from '../../files/cli';
import { registerInspectionCommands } from '../../inspection/cli';
import { registerStationsCommands } from '../../stations/cli';
import { registerTelemetryCommands } from '../../telemetry/cli';
import type { DomainCli } from '../../domain';

type Register = (program: Command, cli: DomainCli<never>) => void;

export const domainCommands: Readonly<Record<string, Register>> = {
  cylinders: registerCylinderCommands,
  telemetry: registerTelemetryCommands,
  inspection: registerInspectionCommands,
  stations: registerStationsCommands,
  files: registerFilesCommands,
};
