/**
 * A failure that is the user's or the environment's, not scenec's: printed as one line
 * `scenec: message` (plus the hint, if any), never with a stack trace, and exit status 2.
 */
export class CliError extends Error {
  constructor(
    message: string,
    /** Where to look next, e.g. "see `scenec --help`". */
    readonly hint?: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A mistake in the command line itself; the hint points at the relevant help page. */
export class UsageError extends CliError {
  constructor(message: string, command?: string) {
    super(message, `see \`scenec ${command ? command + " " : ""}--help\``);
    this.name = "UsageError";
  }
}

/** A short reason for a failed file operation, from a Node error. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a component of the path is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on device";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
