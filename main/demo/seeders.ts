/** Registers domain seeders with main/demo/seed.ts. */
export {};
