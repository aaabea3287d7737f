/**
 * Registers each domain's demo seeder (main/demo/seed.ts) and doctor checks (main/doctor.ts). Imported for its
 * side effects by the CLI and by boot. Order matters: users first (seed.ts), then cylinders, telemetry, and
 * inspection (whose history names manager1/worker1).
 */
import { registerSeeder } from './seed';
import { registerDoctorCheck } from '../doctor';
import { cylinderDemoSeeder } from '../cylinders/demo';
import { cylindersDoctorChecks } from '../cylinders/doctor';
import { telemetryDemoSeeder } from '../telemetry/demo';
import { telemetryDoctorChecks } from '../cli/commands/telemetry';
import { seedInspectionDemo } from '../inspection/demo';

/** LINEDECK_DEMO_TELEMETRY_DAYS shortens the telemetry history for tests that need only the live part (default 35). */
function telemetryDays(): number {
  const v = Number(process.env.LINEDECK_DEMO_TELEMETRY_DAYS ?? 35);
  return Number.isInteger(v) && v >= 1 && v <= 400 ? v : 35;
}

registerSeeder('cylinders', (app) => cylinderDemoSeeder(app));
registerSeeder('telemetry', (app, o) => telemetryDemoSeeder(app, { now: o.now, onProgress: o.onProgress, days: telemetryDays() }));
registerSeeder('inspection', (app, o) => seedInspectionDemo(app, { now: o.now, onProgress: o.onProgress }));

registerDoctorCheck((dbs) => cylindersDoctorChecks(dbs));
registerDoctorCheck((dbs) => telemetryDoctorChecks(dbs));
