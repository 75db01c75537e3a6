import type { OutputStream } from "../terminal.js";

/**
 * What `scenec watch` prints. Every line starts with `[watch]`, and these are stable, for editors'
 * problem matchers (a VS Code background task keys its begin and end patterns on them):
 *
 *     [watch] render started
 *     [watch] render finished in 812 ms -> out.png
 *     [watch] render failed: <reason>
 *     [watch] scene has errors
 *
 * On a terminal the render's progress is one line rewritten in place (and erased before the next
 * message), and the screen is cleared when a new round starts unless the history is to be kept.
 * Anywhere else (a pipe, a file, an editor's task output) only whole lines are written.
 */
export class StatusLine {
  private transient = false;

  constructor(
    private readonly stream: OutputStream,
    private readonly options: { keepHistory: boolean },
  ) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  /** Clears the screen before a new round, on a terminal only and only without --keep-history; says whether it did. */
  clearScreen(): boolean {
    if (!this.tty || this.options.keepHistory) return false;
    this.transient = false;
    this.stream.write("\x1b[2J\x1b[3J\x1b[H");
    return true;
  }

  /** A `[watch] …` line. */
  line(text: string): void {
    this.write(`[watch] ${text}\n`);
  }

  /** Text as it is (diagnostics), after erasing the progress line. */
  write(text: string): void {
    if (text === "") return;
    this.erase();
    this.stream.write(text);
  }

  /** A progress message rewritten in place; only on a terminal. */
  progress(text: string): void {
    if (!this.tty) return;
    this.stream.write(`\r\x1b[2K[watch] ${text}`);
    this.transient = true;
  }

  /** Erases the progress line, if one is shown. */
  erase(): void {
    if (!this.transient) return;
    this.stream.write("\r\x1b[2K");
    this.transient = false;
  }
}

/** A duration for a status line: whole milliseconds. */
export function formatMs(ms: number): string {
  return `${Math.round(ms)} ms`;
}

/** A local wall-clock time, HH:MM:SS. */
export function clock(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

/** `out.png is stale: the scene has errors (last good render 12:03:41)`. */
export function staleText(output: string, reason: string, lastGood: Date | undefined): string {
  return `${output} is stale: ${reason} (${lastGood ? `last good render ${clock(lastGood)}` : "no good render yet"})`;
}
