import type { Terminal } from "../cli/terminal.js";
import type { ImageJobProgress } from "./farm-job.js";

export type PictureState = { state: "waiting" } | { state: "running"; progress?: ImageJobProgress } | { state: "done" } | { state: "failed" };

/**
 * A farm run's progress on stderr: pictures done, running (each worker's step) and waiting, and
 * the time left at the rate pictures have landed so far. On a terminal one line redrawn in
 * place; on a pipe or file a plain line whenever the counts change (at most once a second).
 */
export class FarmProgress {
  private readonly started = performance.now();
  private lastLine = "";
  private lastCounts = "";
  private lastPlain = -Infinity;
  private shown = false;

  constructor(
    private readonly terminal: Terminal,
    private readonly pictures: PictureState[],
  ) {}

  /** The status line as it stands. */
  line(): string {
    const count = (state: PictureState["state"]) => this.pictures.filter((p) => p.state === state).length;
    const done = count("done");
    const failed = count("failed");
    const running = this.pictures.flatMap((p) => (p.state === "running" ? [p.progress] : []));
    const workers = running.filter((p): p is ImageJobProgress => p !== undefined).map((p) => `${p.worker} ${p.step}/${p.steps}`);
    const left = this.pictures.length - done - failed;
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = done > 0 && left > 0 ? `, ETA ${Math.ceil((elapsed / done) * left)} s` : "";
    return `farm: ${done}/${this.pictures.length} done, ${running.length} running${workers.length ? ` (${workers.join(", ")})` : ""}, ${count("waiting")} waiting${failed ? `, ${failed} failed` : ""}${eta}`;
  }

  update(): void {
    const line = this.line();
    if (this.terminal.stderr.isTTY === true) {
      if (line === this.lastLine) return;
      this.terminal.stderr.write(`\r\x1b[2K${line}`);
      this.shown = true;
    } else {
      const counts = line.replace(/ \(.*?\)|, ETA.*$/g, "");
      if (counts === this.lastCounts || performance.now() - this.lastPlain < 1000) return;
      this.lastCounts = counts;
      this.lastPlain = performance.now();
      this.terminal.stderr.write(`${line}\n`);
    }
    this.lastLine = line;
  }

  log(line: string): void {
    this.clear();
    this.terminal.stderr.write(`${line}\n`);
  }

  /** Removes the live line (on a terminal) before the command's last words. */
  clear(): void {
    if (!this.shown) return;
    this.terminal.stderr.write("\r\x1b[2K");
    this.shown = false;
    this.lastLine = "";
  }
}
