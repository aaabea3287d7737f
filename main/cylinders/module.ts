/** The cylinder inventory (FCMS CDC + the plant's policies): procedures, migrations, demo data, doctor, CLI. */
import { defineModule, type AppServices } from '../domain';
import { registerCylinderCommands } from './cli';
import { cylindersProcedures } from './contract';
import { cylinderDemoSeeder } from './demo';
import { cylindersDoctorChecks } from './doctor';
import { createCylindersHandlers } from './handlers';
import { cylinderHooks, cylinderMigrations } from './migrations';
import { CylinderService } from './service';

export const cylindersModule = defineModule({
  name: 'cylinders',
  procedures: cylindersProcedures,
  migrations: cylinderMigrations,
  hooks: cylinderHooks,
  create: (s: AppServices) => {
    const svc = new CylinderService(s.dbs);
    return {
      svc,
      handlers: createCylindersHandlers(s, svc),
      seed: () => cylinderDemoSeeder(s.dbs),
    };
  },
  doctor: (dbs) => cylindersDoctorChecks(dbs),
  commands: registerCylinderCommands,
});
