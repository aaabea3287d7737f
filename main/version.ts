/** The console's version (package.json's), shown by `system.health` and reported by every station's heartbeat. */
export const APP_VERSION = '0.1.0';
