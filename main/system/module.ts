/** The shell's domain: login and first-run setup, users, the audit log, data sources, jobs, health (its demo accounts: ./demo.ts, seeded first by main/demo/seed.ts). */
import { defineModule, type AppServices } from '../domain';
import { systemProcedures } from './contract';
import { createSystemHandlers } from './handlers';

export const systemModule = defineModule({
  name: 'system',
  procedures: systemProcedures,
  create: (s: AppServices) => ({ handlers: createSystemHandlers(s) }),
});
