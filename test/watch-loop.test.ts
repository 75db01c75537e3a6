import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WatchLoop } from "../src/cli/watch/watch-loop.js";

/** A fake render: runs until finished or cancelled, records how many run at once. */
function harness(options: { broken?: (changes: readonly string[]) => boolean; cancelTakesMs?: number } = {}) {
  const log: string[] = [];
  const prepared: string[][] = [];
  let active = 0;
  let maxActive = 0;
  let current: { job: string; finish: () => void; cancelled: boolean } | undefined;
  let serial = 0;
  const loop = new WatchLoop<string>({
    debounceMs: 150,
    prepare(changes) {
      prepared.push([...changes]);
      if (options.broken?.(changes)) return undefined;
      return `job${++serial}`;
    },
    run(job) {
      active++;
      maxActive = Math.max(maxActive, active);
      log.push(`start ${job}`);
      return new Promise<void>((resolve) => {
        current = {
          job,
          cancelled: false,
          finish: () => {
            active--;
            log.push(`${current!.cancelled ? "cancelled" : "finished"} ${job}`);
            current = undefined;
            resolve();
          },
        };
      });
    },
    cancel() {
      if (!current || current.cancelled) return;
      current.cancelled = true;
      // The render notices at its next step, a little later.
      const c = current;
      if (options.cancelTakesMs !== undefined) setTimeout(() => c.finish(), options.cancelTakesMs);
    },
  });
  return {
    loop,
    log,
    prepared,
    get maxActive() {
      return maxActive;
    },
    finish: () => current?.finish(),
    get current() {
      return current?.job;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("WatchLoop", () => {
  it("debounces: changes within the quiet time are one batch, acted on once the files are quiet", async () => {
    const h = harness();
    for (const file of ["a.scene", "b.scene", "a.scene"]) {
      h.loop.notify(file);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(h.prepared).toEqual([]);
    await vi.advanceTimersByTimeAsync(50);
    expect(h.prepared).toEqual([["a.scene", "b.scene"]]);
    expect(h.log).toEqual(["start job1"]);
  });

  it("a new job during a render cancels it and starts as soon as the render has stopped", async () => {
    const h = harness({ cancelTakesMs: 10 });
    h.loop.trigger();
    h.loop.notify("s.scene");
    await vi.advanceTimersByTimeAsync(150);
    expect(h.log).toEqual(["start job1"]);
    await vi.advanceTimersByTimeAsync(10);
    expect(h.log).toEqual(["start job1", "cancelled job1", "start job2"]);
    h.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.log.at(-1)).toBe("finished job2");
    expect(h.maxActive).toBe(1);
    expect(h.loop.busy).toBe(false);
  });

  it("newest wins: jobs made while a cancelled render winds down replace each other, never pile up", async () => {
    const h = harness(); // the cancelled render stops only when the test says so
    h.loop.trigger();
    for (let i = 0; i < 3; i++) {
      h.loop.notify("s.scene");
      await vi.advanceTimersByTimeAsync(200);
    }
    expect(h.prepared.length).toBe(4);
    expect(h.log).toEqual(["start job1"]);
    h.finish();
    await vi.advanceTimersByTimeAsync(0);
    // job2 and job3 were replaced in the one waiting slot and never started.
    expect(h.log).toEqual(["start job1", "cancelled job1", "start job4"]);
    h.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.log.at(-1)).toBe("finished job4");
    expect(h.maxActive).toBe(1);
    expect(h.loop.started).toBe(2);
    expect(h.loop.busy).toBe(false);
  });

  it("a broken save does not stop the render of the last good scene", async () => {
    const h = harness({ broken: (changes) => changes.includes("broken") });
    h.loop.trigger();
    h.loop.notify("broken");
    await vi.advanceTimersByTimeAsync(200);
    expect(h.log).toEqual(["start job1"]);
    h.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.log).toEqual(["start job1", "finished job1"]);
  });

  it("idle() resolves once nothing is running, waiting or debounced", async () => {
    const h = harness({ cancelTakesMs: 10 });
    h.loop.trigger();
    h.loop.notify("s.scene");
    let idle = false;
    void h.loop.idle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(300);
    expect(idle).toBe(false);
    h.finish();
    await vi.advanceTimersByTimeAsync(10);
    expect(idle).toBe(true);
  });

  it("close() cancels the running job, waits for it, and ignores later changes", async () => {
    const h = harness({ cancelTakesMs: 10 });
    h.loop.trigger();
    const closed = h.loop.close();
    await vi.advanceTimersByTimeAsync(20);
    await closed;
    expect(h.log).toEqual(["start job1", "cancelled job1"]);
    h.loop.notify("s.scene");
    await vi.advanceTimersByTimeAsync(500);
    expect(h.log).toEqual(["start job1", "cancelled job1"]);
  });
});
