/**
 * Runs the `linedeck` program in-process for tests: stdout and stderr collected, a CliFailure's message on stderr
 * with its exit code, a usage error (commander) as exit 2; the context (App, station) closed after.
 */
import { CliFailure } from '../cli/context';
import { buildProgram } from '../cli/index';

export async function runCliInProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const { program, ctx } = buildProgram({ stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  let code = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CliFailure) {
      stderr += e.message;
      code = e.exitCode;
    } else code = 2;
  } finally {
    await ctx.close();
  }
  return { code, stdout, stderr };
}
