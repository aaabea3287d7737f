/** The registered benchmarks; each gets a base database URL (it may create databases there) and a log. */
export interface Goal {
  goal: string;
  ok: boolean;
  detail: string;
}
export interface Bench {
  name: string;
  run(baseUrl: string, log: (s: string) => void, tmpDir: string): Promise<Goal[]>;
}

export const benches: Bench[] = [];
