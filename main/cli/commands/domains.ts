/** Registers each domain's command module (main/cli/commands/<domain>.ts). */
import type { Command } from 'commander';
import type { CliContext } from '../context';

export function registerDomainCommands(_program: Command, _ctx: CliContext): void {}
