import { parseArgs } from "node:util";
import { suggest } from "../compiler/check/suggest.js";
import type { Command, OptionValues } from "./command.js";
import { checkCommand } from "./commands/check.js";
import { fmtCommand } from "./commands/fmt.js";
import { importCommand } from "./commands/import.js";
import { infoCommand } from "./commands/info.js";
import { lspCommand } from "./commands/lsp.js";
import { planCommand } from "./commands/plan.js";
import { modelCommand } from "./commands/model.js";
import { renderCommand } from "./commands/render.js";
import { watchCommand } from "./commands/watch.js";
import { workerCommand } from "./commands/worker.js";
import { CliError, UsageError } from "./errors.js";
import { terminalFromProcess, type Terminal } from "./terminal.js";
import { version } from "./version.js";

/** Every subcommand, in the order `scenec --help` lists them. `render` and `watch` slot in here. */
const COMMANDS: readonly Command[] = [checkCommand, planCommand, renderCommand, watchCommand, workerCommand, fmtCommand, infoCommand, importCommand, modelCommand, lspCommand];

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const commands = COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join("\n");
  return `scenec: compile .scene image compositions into execution plans

usage: scenec COMMAND [options] [FILE...]

commands:
${commands}

options:
  -h, --help      show this help; \`scenec help COMMAND\` or \`scenec COMMAND --help\` for a command
  -v, --version   print the version

Positions in messages are FILE:LINE:COLUMN, counted from 1.
exit status: 0 success (warnings allowed), 1 the input has errors, 2 usage, file or internal error
environment: NO_COLOR=1 turns colour off, FORCE_COLOR=1 turns it on (default: on for a terminal)
`;
}

function commandHelp(command: Command): string {
  return `usage: scenec ${command.name} ${command.synopsis}\n\n${command.help}\n`;
}

function unknownCommand(name: string): UsageError {
  const guess = suggest(name, COMMANDS.map((c) => c.name));
  return new UsageError(`unknown command \`${name}\`${guess ? `; did you mean \`${guess}\`?` : ""}`);
}

/** "; did you mean `--steps`?" for a mistyped long option (`--step`), or nothing. */
function optionGuess(flag: string, names: readonly string[]): string {
  const guess = flag.startsWith("--") ? suggest(flag.slice(2), names) : undefined;
  return guess === undefined ? "" : `; did you mean \`--${guess}\`?`;
}

/** An option before the COMMAND: `--verison` is a typo of ours; anything else belongs after it. */
function unknownTopLevelOption(flag: string): UsageError {
  const guess = optionGuess(flag, ["help", "version"]);
  return new UsageError(`unknown option \`${flag}\`${guess || " (options go after the COMMAND)"}`);
}

/**
 * parseArgs refuses a value that starts with `-` ("argument is ambiguous"). After a long option
 * that takes a value, a negative number is that value (`--seed -1`), so it is passed on as
 * `--seed=-1` and the command's own check says what the option accepts.
 */
function joinNegativeNumbers(args: readonly string[], options: Command["options"]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return [...joined, ...args.slice(i)];
    const next = args[i + 1];
    if (arg.startsWith("--") && options[arg.slice(2)]?.type === "string" && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

/** parseArgs' errors, reworded as one lowercase line (GNU style), for `scenec COMMAND`. */
function parseError(error: unknown, command: Command, args: readonly string[]): UsageError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS")) return undefined;
  const message = (error as Error).message;
  const quoted = /'([^']*)'/.exec(message)?.[1];
  const name = command.name;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && quoted !== undefined) {
    const guess = optionGuess(quoted, [...Object.keys(command.options), "help"]);
    return new UsageError(`unknown option \`${quoted}\` for \`scenec ${name}\`${guess}`, name);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && quoted !== undefined) {
    if (/argument missing/.test(message)) return new UsageError(`option \`${quoted}\` needs a value`, name);
    if (/does not take an argument/.test(message)) return new UsageError(`option \`${quoted}\` takes no value`, name);
    if (/argument is ambiguous/.test(message)) {
      // `-o -x`: a value that starts with `-` is given as `--output=-x`.
      const long = /use '(--[^=']+)=/.exec(message)?.[1] ?? quoted;
      const value = args[args.indexOf(quoted) + 1];
      return new UsageError(`option \`${quoted}\` needs a value; one that starts with \`-\` is written \`${long}=${value}\``, name);
    }
  }
  const firstSentence = message.split(/\.(\s|$)/)[0]!;
  return new UsageError(firstSentence.charAt(0).toLowerCase() + firstSentence.slice(1), name);
}

async function dispatch(argv: string[], terminal: Terminal): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    terminal.stderr.write(generalHelp());
    return 2;
  }
  if (first === "-h" || first === "--help") {
    terminal.stdout.write(generalHelp());
    return 0;
  }
  if (first === "--version" || first === "-v" || first === "-V") {
    terminal.stdout.write(`${version()}\n`);
    return 0;
  }
  if (first === "help") {
    if (rest.length === 0) {
      terminal.stdout.write(generalHelp());
      return 0;
    }
    if (rest.length > 1) throw new UsageError("`help` takes one COMMAND");
    const command = findCommand(rest[0]!);
    if (!command) throw unknownCommand(rest[0]!);
    terminal.stdout.write(commandHelp(command));
    return 0;
  }
  if (first.startsWith("-")) throw unknownTopLevelOption(first);

  const command = findCommand(first);
  if (!command) throw unknownCommand(first);
  let values: OptionValues;
  let positionals: string[];
  const args = joinNegativeNumbers(rest, command.options);
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    }) as { values: OptionValues; positionals: string[] });
  } catch (error) {
    throw parseError(error, command, args) ?? error;
  }
  if (values["help"] === true) {
    terminal.stdout.write(commandHelp(command));
    return 0;
  }
  return command.run({ values, positionals }, terminal);
}

/**
 * The `scenec` command line; returns the exit status. Usage and file problems print one line
 * `scenec: …` and give 2; anything unexpected is reported as an internal error (2), with the
 * stack only when SCENEC_DEBUG is set.
 */
export async function main(argv: string[], terminal: Terminal = terminalFromProcess()): Promise<number> {
  try {
    return await dispatch(argv, terminal);
  } catch (error) {
    if (error instanceof CliError) {
      terminal.stderr.write(`scenec: ${error.message}${error.hint ? ` (${error.hint})` : ""}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    terminal.stderr.write(
      `scenec: internal error: ${message}\n` +
        "this is a bug in scenec: please report it with the command line and the scene files involved\n",
    );
    if (process.env["SCENEC_DEBUG"] && error instanceof Error && error.stack) terminal.stderr.write(`${error.stack}\n`);
    return 2;
  }
}
