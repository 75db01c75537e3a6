/**
 * A watch whose starter is gone ends by itself (src/cli/watch/orphan-check.ts): `npx scenec watch`
 * stopped by a task runner leaves scenec re-parented, and a pipe on its stdin closed.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, waitUntil, WatchProcess } from "./helpers/watch-process.js";

const SCENE = `canvas 64 x 64\nsteps 4\nscheduler euler\nregion r {\n  at 0, 0\n  size 64 x 64\n  prompt "red"\n}\n`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "scenec-orphan-"));
  writeFileSync(path.join(dir, "s.scene"), SCENE);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("scenec watch without the process that started it", () => {
  it("stops within seconds when its parent process is gone (it was re-parented)", async () => {
    // As `npm exec` runs it: a shell starts scenec, and is then killed (stdin is not a pipe here).
    const log = path.join(dir, "parent.log");
    const shell = spawn("sh", ["-c", `"${process.execPath}" "${BIN}" watch s.scene --keep-history </dev/null >"${log}" 2>&1 & echo $!; wait`], { cwd: dir, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    shell.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    const pid = Number(await waitUntil(() => /^\d+\n/.exec(out)?.[0], "the watch's pid"));
    const text = () => readFileSync(log, "utf8");
    try {
      await waitUntil(() => /^\[watch\] render finished/m.test(text()), "the first render", 30_000, text);
      shell.kill("SIGKILL");
      await waitUntil(() => !running(pid), "the watch to stop", 10_000, text);
      expect(text()).toMatch(/^\[watch\] the process that started this watch has ended; stopping\n\[watch\] stopped\n$/m);
    } finally {
      if (running(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("stops when stdin is a pipe and it closes, exit 0", async () => {
    const watch = new WatchProcess(["s.scene", "--keep-history"], dir, { stdin: "pipe" });
    try {
      await watch.waitForCount("render finished", 1);
      watch.closeStdin();
      await waitUntil(() => !watch.running, "the watch to stop", 10_000, () => watch.stderr);
      expect(await watch.exited).toEqual({ code: 0, signal: null });
      expect(watch.stderr).toMatch(/^\[watch\] stdin was closed; stopping\n\[watch\] stopped\n$/m);
    } finally {
      if (watch.running) watch.kill("SIGKILL");
    }
  });
});
