/** The shell's domain: login and first-run setup, users, the audit log, data sources, jobs, health; demo accounts. */
import { defineModule, type AppServices } from '../domain';
import { systemProcedures } from './contract';
import { seedDemoUsers } from './demo';
import { createSystemHandlers } from './handlers';

export const systemModule = defineModule({
  name: 'system',
  procedures: systemProcedures,
  create: (s: AppServices) => ({
    handlers: createSystemHandlers(s),
    seed: (o) => seedDemoUsers(s.auth, o),
  }),
});
