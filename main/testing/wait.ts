/** Test kit: waits until `cond` holds, polling every 100 ms; throws after `ms`. Returns how long it took. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what = 'the condition'): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - t0;
}
