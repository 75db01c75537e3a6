/**
 * `scenec render` and `scenec watch` under the signals users and process managers send: Ctrl-C
 * (SIGINT) at any moment of a render's start-up, SIGTERM, SIGHUP, a second signal; and the
 * temporary files a killed render leaves behind.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScenec } from "./helpers/scenec-cli.js";
import { pngScene, waitUntil } from "./helpers/watch-process.js";

/** 1000 steps of four regions on the built-in model: a few seconds, so a signal lands while the render is in flight. */
const LONG = `canvas 256 x 64\nsteps 1000\nscheduler euler\nseed 3\n${["red", "blue", "green", "yellow"].map((c, i) => `region ${c} {\n  at ${64 * i}, 0\n  size 64 x 64\n  prompt "${c}"\n}\n`).join("")}`;
const SHORT = LONG.replace("steps 1000", "steps 4");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "scenec-signals-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh folder holding `s.scene`. */
function folderWith(scene: string): string {
  const folder = mkdtempSync(path.join(dir, "run-"));
  writeFileSync(path.join(folder, "s.scene"), scene);
  return folder;
}

interface Stopped {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  files: string[];
}

/**
 * Runs `scenec ARGS` on `s.scene` in a folder of its own; once stderr matches `after`, waits
 * `delayMs` and sends each of `signals` (50 ms apart). Returns how it ended and the files left.
 */
async function signalled(args: string[], scene: string, after: RegExp, delayMs: number, signals: NodeJS.Signals[]): Promise<Stopped> {
  const folder = folderWith(scene);
  const run = startScenec([...args, "s.scene"], { cwd: folder });
  try {
    await waitUntil(() => after.test(run.stderr()), String(after), 30_000, run.stderr);
  } catch (error) {
    run.child.kill("SIGKILL");
    throw error;
  }
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  for (const [i, signal] of signals.entries()) setTimeout(() => run.child.kill(signal), i * 50);
  const status = await run.done;
  return { status, signal: run.child.signalCode, stderr: run.stderr(), files: readdirSync(folder).sort() };
}

/** Runs the jobs, `width` at a time (more at once is also more load: a slower start-up, a wider window for the race). */
async function inParallel<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

describe("Ctrl-C during a render's start-up", () => {
  /** Whether the process was aborted from native code (the race this guards against). */
  const aborted = (run: Stopped) => run.signal === "SIGABRT" || /terminate called|Napi::Error/.test(run.stderr);

  it("watch always stops cleanly: exit 0 (or, at a second Ctrl-C, ended by SIGINT), nothing left behind", async () => {
    // After `render started`: the worker starting, the model loading, the text encoding, the
    // first steps. A second Ctrl-C 50 ms after the first lands while the worker is still busy.
    const cases = [0, 30, 60, 100, 150, 250, 400, 600].map((delay, i) => ({ delay, signals: (i % 3 === 2 ? ["SIGINT", "SIGINT"] : ["SIGINT"]) as NodeJS.Signals[] }));
    const runs = await inParallel(
      cases.map(({ delay, signals }) => () => signalled(["watch", "--keep-history"], LONG, /^\[watch\] render started$/m, delay, signals)),
      4,
    );
    for (const [i, run] of runs.entries()) {
      const { delay, signals } = cases[i]!;
      expect({ delay, signals: signals.length, aborted: aborted(run), files: run.files }, run.stderr).toEqual({ delay, signals: signals.length, aborted: false, files: ["s.scene"] });
      const clean = run.status === 0 && /^\[watch\] stopped$/m.test(run.stderr);
      expect(clean || (signals.length === 2 && run.signal === "SIGINT"), `${run.status} ${run.signal}\n${run.stderr}`).toBe(true);
    }
  });

  it("render always stops with 130 and writes nothing, also when a second Ctrl-C ends it at once", async () => {
    const cases = [0, 100].flatMap((delay) => [1, 2].map((count) => ({ delay, signals: Array<NodeJS.Signals>(count).fill("SIGINT") })));
    const runs = await inParallel(
      cases.map(({ delay, signals }) => () => signalled(["render"], LONG, /^step 1\/1000/m, delay, signals)),
      3,
    );
    for (const [i, run] of runs.entries()) {
      const { delay, signals } = cases[i]!;
      expect({ delay, signals: signals.length, aborted: aborted(run), files: run.files }, run.stderr).toEqual({ delay, signals: signals.length, aborted: false, files: ["s.scene"] });
      // Handled: 130. At a second signal, possibly ended by SIGINT itself (a shell reports 130 too).
      expect(run.status === 130 || (signals.length === 2 && run.signal === "SIGINT"), `${run.status} ${run.signal}\n${run.stderr}`).toBe(true);
    }
  });
});

describe("SIGTERM and SIGHUP", () => {
  it("render stopped by SIGTERM: exit 143, nothing written, no temporary file", async () => {
    const run = await signalled(["render"], LONG, /^step \d+\/1000/m, 0, ["SIGTERM"]);
    expect({ status: run.status, signal: run.signal, files: run.files }, run.stderr).toEqual({ status: 143, signal: null, files: ["s.scene"] });
    expect(run.stderr).toContain("scenec: stopped by SIGTERM; nothing was written");
  });

  // After a SIGHUP the process ends by SIGHUP itself (129 to a shell), once the work has stopped
  // cleanly: its terminal is gone (src/cli/stop-signals.ts).
  it("render stopped by SIGHUP: nothing written, no temporary file, ended by SIGHUP", async () => {
    const run = await signalled(["render"], LONG, /^step \d+\/1000/m, 0, ["SIGHUP"]);
    expect({ status: run.status, signal: run.signal, files: run.files }, run.stderr).toEqual({ status: null, signal: "SIGHUP", files: ["s.scene"] });
    expect(run.stderr).toContain("scenec: stopped by SIGHUP; nothing was written");
  });

  it("watch stopped by SIGTERM: a clean stop, as with Ctrl-C (exit 0)", async () => {
    const run = await signalled(["watch", "--keep-history"], LONG, /^\[watch\] render started$/m, 50, ["SIGTERM"]);
    expect({ status: run.status, signal: run.signal, files: run.files }, run.stderr).toEqual({ status: 0, signal: null, files: ["s.scene"] });
    expect(run.stderr).toMatch(/^\[watch\] stopped$/m);
  });

  it("watch stopped by SIGHUP: a clean stop, then ended by SIGHUP", async () => {
    const run = await signalled(["watch", "--keep-history"], LONG, /^\[watch\] render started$/m, 50, ["SIGHUP"]);
    expect({ status: run.status, signal: run.signal, files: run.files }, run.stderr).toEqual({ status: null, signal: "SIGHUP", files: ["s.scene"] });
    expect(run.stderr).toMatch(/^\[watch\] stopped$/m);
  });
});

describe("temporary files of a killed render", () => {
  /** The PID of a process that has ended. */
  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((resolve) => child.on("exit", resolve));
    return child.pid!;
  }

  it("are removed when the next render of the same output starts; others' and live ones are left", async () => {
    const folder = folderWith(SHORT);
    const dead = await deadPid();
    const stale = `.s.png.${dead}.0badf00d.tmp`;
    const live = `.s.png.${process.pid}.0badf00e.tmp`; // a write in flight in a running process
    const unrelated = [`.s.png.notes.tmp`, `.other.png.${dead}.0badf00d.tmp`, `s.png.${dead}.0badf00d.tmp`];
    for (const name of [stale, live, ...unrelated]) writeFileSync(path.join(folder, name), "\x89PNG half a picture");
    const run = startScenec(["render", "s.scene"], { cwd: folder });
    expect(await run.done, run.stderr()).toBe(0);
    expect(readdirSync(folder).sort()).toEqual([live, ...unrelated, "s.png", "s.scene"].sort());
    // The picture is the render's, never a leftover.
    expect(pngScene(path.join(folder, "s.png"))).toBe(SHORT);
  });

  it("are removed by watch too, when it starts rendering that output", async () => {
    const folder = folderWith(SHORT);
    const stale = `.s.png.${await deadPid()}.0badf00d.tmp`;
    writeFileSync(path.join(folder, stale), "\x89PNG half a picture");
    const run = startScenec(["watch", "s.scene", "--keep-history"], { cwd: folder });
    try {
      await waitUntil(() => /^\[watch\] render finished/m.test(run.stderr()), "the first render", 30_000, run.stderr);
      expect(existsSync(path.join(folder, stale))).toBe(false);
    } finally {
      run.child.kill("SIGINT");
      expect(await run.done).toBe(0);
    }
  });
});
