/**
 * The whole API: every procedure the console offers, gathered from the modules' contracts (main/modules.ts). The
 * renderer imports this file's *types* only (`import type`); main dispatches through it (main/api/dispatch.ts); the
 * CLI and the browser host serve it too.
 */
import { modules, type ModuleProcedures } from '../modules';
import type { ProcedureTable } from './kit';

function gather(): ModuleProcedures {
  const all: ProcedureTable = {};
  for (const m of modules)
    for (const [name, spec] of Object.entries(m.procedures)) {
      if (Object.prototype.hasOwnProperty.call(all, name)) throw new Error(`procedure ${name} is declared twice (module ${m.name})`);
      all[name] = spec;
    }
  return all as ModuleProcedures;
}

export const contract = gather();
export type Contract = ModuleProcedures;
export type ProcedureName = keyof Contract & string;
