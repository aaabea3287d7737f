/** Registers each domain's command module (main/cli/commands/<domain>.ts). */
import type { Command } from 'commander';
import type { CliContext } from '../context';
import * as cylinders from './cylinders';
import * as telemetry from './telemetry';
import * as inspection from './inspection';
import * as ml from './ml';

export function registerDomainCommands(program: Command, ctx: CliContext): void {
  for (const m of [cylinders, telemetry, inspection, ml]) m.register(program, ctx);
}
