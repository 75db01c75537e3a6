import type { ParseArgsConfig } from "node:util";
import type { Terminal } from "./terminal.js";

export type OptionValues = Record<string, string | boolean | undefined>;

export interface CommandArgs {
  values: OptionValues;
  positionals: string[];
}

/**
 * One `scenec` subcommand. main.ts parses the arguments with the command's option table (strict:
 * an unknown flag is a usage error), answers `--help` from `help`, and calls `run`, which returns
 * the exit status: 0 success, 1 errors in the user's input, 2 usage/file problems (or throws a
 * CliError for those).
 */
export interface Command {
  name: string;
  /** The argument synopsis, e.g. `FILE... [--json]`. */
  synopsis: string;
  /** One line for `scenec --help`. */
  summary: string;
  /** The full text of `scenec help NAME`, after the usage line. */
  help: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  run(args: CommandArgs, terminal: Terminal): Promise<number>;
}
