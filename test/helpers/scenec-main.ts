import { main } from "../../src/cli/main.js";
import type { Terminal } from "../../src/cli/terminal.js";

/** How an in-process run of the command line went. */
export interface MainRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * `scenec ARGS…` in-process, through main() with colour off and the output collected: for
 * messages and exit statuses, where spawning the CLI would prove nothing more.
 */
export async function runMain(...argv: string[]): Promise<MainRun> {
  let stdout = "";
  let stderr = "";
  const terminal: Terminal = { color: false, stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const status = await main(argv, terminal);
  return { status, stdout, stderr };
}
