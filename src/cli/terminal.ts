/**
 * What the CLI knows about where its output goes, decided once at startup and passed to every
 * renderer: renderers never look at `process` themselves, so tests can hand them any Terminal.
 */

/** The part of a writable stream the CLI uses. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface Terminal {
  /** Whether human-facing text (diagnostics on stderr) may carry ANSI colour codes. */
  readonly color: boolean;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The colour rule (clig.dev, Node's own rule for FORCE_COLOR):
 * - `FORCE_COLOR` set to anything but `0`/`false` turns colour on, whatever else is true;
 *   `FORCE_COLOR=0` (or `false`) turns it off;
 * - otherwise no colour when `NO_COLOR` is set and non-empty, or `TERM=dumb`;
 * - otherwise colour exactly when the stream is a TTY.
 */
export function colorFor(stream: OutputStream, env: Environment): boolean {
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  const noColor = env["NO_COLOR"];
  if (noColor !== undefined && noColor !== "") return false;
  if (env["TERM"] === "dumb") return false;
  return stream.isTTY === true;
}

function createTerminal(stdout: OutputStream, stderr: OutputStream, env: Environment): Terminal {
  // Diagnostics and messages go to stderr, so stderr decides; stdout carries data (plans, JSON),
  // which is never coloured.
  return { color: colorFor(stderr, env), stdout, stderr };
}

let pipeGuard = false;

/**
 * The process's own terminal. A reader that goes away early (`scenec plan x.scene | head`: EPIPE)
 * or a terminal that is closed (EIO, with the SIGHUP that stops `render` and `watch`) ends output quietly.
 */
export function terminalFromProcess(): Terminal {
  if (!pipeGuard) {
    pipeGuard = true;
    for (const stream of [process.stdout, process.stderr]) {
      stream.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE" && error.code !== "EIO") throw error;
      });
    }
  }
  return createTerminal(process.stdout, process.stderr, process.env);
}

// A few ANSI SGR codes are all the CLI needs; each style resets only what it set, so styles nest.
const SGR = {
  bold: ["\x1b[1m", "\x1b[22m"],
  red: ["\x1b[31m", "\x1b[39m"],
  yellow: ["\x1b[33m", "\x1b[39m"],
  cyan: ["\x1b[36m", "\x1b[39m"],
} as const;

export type Style = keyof typeof SGR;

export interface Painter {
  (style: Style | readonly Style[], text: string): string;
}

/** A function that wraps text in the given styles when `color` is true, and returns it unchanged otherwise. */
export function painter(color: boolean): Painter {
  if (!color) return (_style, text) => text;
  return (style, text) => {
    if (text === "") return text;
    const styles: readonly Style[] = typeof style === "string" ? [style] : style;
    let out = text;
    for (const s of styles) out = SGR[s][0] + out + SGR[s][1];
    return out;
  };
}
