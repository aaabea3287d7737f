/** What a bench reports: one line per goal (MET/MISS with the measured figures), and a bench's shape. */
export interface Goal {
  goal: string;
  ok: boolean;
  detail: string;
}
export interface Bench {
  name: string;
  run(baseUrl: string, log: (s: string) => void, tmpDir: string): Promise<Goal[]>;
}
