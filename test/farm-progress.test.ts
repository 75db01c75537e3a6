import { describe, expect, it } from "vitest";
import { FarmProgress, type PictureState } from "../src/farm/farm-progress.js";
import type { Terminal } from "../src/cli/terminal.js";

// What `scenec render --farm` shows while it waits: counts, each worker's step, an ETA.

function terminal(isTTY: boolean): Terminal & { text: () => string } {
  let text = "";
  const stream = { write: (s: string) => (text += s), isTTY };
  return { color: false, stdout: stream, stderr: stream, text: () => text };
}

describe("farm progress", () => {
  it("counts the pictures done, running (with each worker's step), waiting and failed", () => {
    const states: PictureState[] = [{ state: "done" }, { state: "running", progress: { worker: "gpu-a", step: 3, steps: 20 } }, { state: "running" }, { state: "waiting" }, { state: "failed" }];
    const line = new FarmProgress(terminal(false), states).line();
    expect(line).toMatch(/^farm: 1\/5 done, 2 running \(gpu-a 3\/20\), 1 waiting, 1 failed, ETA \d+ s$/);
  });

  it("redraws one line on a terminal, and writes plain lines elsewhere only when the counts change", () => {
    const states: PictureState[] = [{ state: "running", progress: { worker: "w1", step: 1, steps: 4 } }, { state: "waiting" }];
    const tty = terminal(true);
    const live = new FarmProgress(tty, states);
    live.update();
    states[0] = { state: "running", progress: { worker: "w1", step: 2, steps: 4 } };
    live.update();
    live.log("wrote a.png");
    expect(tty.text()).toBe("\r\x1b[2Kfarm: 0/2 done, 1 running (w1 1/4), 1 waiting\r\x1b[2Kfarm: 0/2 done, 1 running (w1 2/4), 1 waiting\r\x1b[2Kwrote a.png\n");

    const pipe = terminal(false);
    const plain = new FarmProgress(pipe, states);
    plain.update();
    states[0] = { state: "running", progress: { worker: "w1", step: 3, steps: 4 } };
    plain.update(); // the same counts: nothing new
    expect(pipe.text()).toBe("farm: 0/2 done, 1 running (w1 2/4), 1 waiting\n");
  });
});
