/**
 * The transitions of `scenec watch` (src/cli/watch/watch-machine.ts), without files, timers,
 * processes or models: events in, the next state and the effects out. test/watch.test.ts and
 * test/signals.test.ts run the real thing end to end.
 */
import { describe, expect, it } from "vitest";
import {
  initialState,
  previewState,
  transition,
  type CompileOutcome,
  type WatchContext,
  type WatchEffect,
  type WatchEvent,
  type WatchJob,
  type WatchState,
} from "../src/cli/watch/watch-machine.js";
import { STOP_SIGNALS } from "../src/cli/stop-signals.js";

interface Job extends WatchJob {
  name: string;
}

const ctx: WatchContext = { scene: "/p/s.scene", shown: (file) => file.replace(/^\/p\//, "") };
const job = (name: string, steps = 4): Job => ({ name, steps, output: "/p/s.png", compileMs: 12 });
const ok = (j: Job): WatchEvent<Job> => ({ type: "compiled", outcome: { kind: "ok", job: j, diagnostics: null } });
const errors: WatchEvent<Job> = { type: "compiled", outcome: { kind: "errors", errors: 2, reason: "the scene has errors", diagnostics: "error[S1001]: …" } };
const written = (j: Job): WatchEvent<Job> => ({ type: "written", job: j, width: 128, height: 64, renderMs: 812.4, at: new Date(2026, 0, 1, 12, 3, 41) });

/** Feeds events to the machine, as session.ts does, keeping every effect. */
class Harness {
  state: WatchState<Job> = initialState("/p/s.png");
  effects: WatchEffect<Job>[] = [];

  send(...events: WatchEvent<Job>[]): WatchEffect<Job>[] {
    const effects: WatchEffect<Job>[] = [];
    for (const event of events) {
      const next = transition(ctx, this.state, event);
      this.state = next.state;
      effects.push(...next.effects);
    }
    this.effects.push(...effects);
    return effects;
  }

  get phase(): string {
    return this.state.work.phase;
  }
}

const lines = (effects: WatchEffect<Job>[]) => effects.flatMap((e) => (e.type === "print" ? [e.text] : []));
const types = (effects: WatchEffect<Job>[]) => effects.map((e) => e.type);
/** The jobs whose render the effects start. */
const renders = (effects: WatchEffect<Job>[]) => effects.flatMap((e) => (e.type === "render" ? [e.job.name] : []));

/** A harness whose first round renders `first` (started, guides decoded). */
function rendering(first = job("job1")): Harness {
  const h = new Harness();
  h.send({ type: "start" }, ok(first), { type: "guides", job: first, ok: true });
  expect(h.phase).toBe("rendering");
  return h;
}

describe("watch: the debounce", () => {
  it("the first round compiles at once; later changes are one batch, compiled once the files are quiet", () => {
    const h = new Harness();
    expect(h.send({ type: "start" })).toEqual([{ type: "compile", changes: [] }]);
    h.send(ok(job("job1")));
    for (const file of ["/p/a.scene", "/p/b.scene", "/p/a.scene"]) expect(types(h.send({ type: "file", event: "change", file }))).toEqual(["debounce"]);
    expect(h.state.debouncing).toBe(true);
    expect(h.send({ type: "quiet" })).toEqual([{ type: "compile", changes: ["/p/a.scene", "/p/b.scene"] }]);
    expect(h.state).toMatchObject({ changes: [], debouncing: false });
  });

  it("says when a file is deleted and when it is back", () => {
    const h = rendering();
    expect(lines(h.send({ type: "file", event: "unlink", file: "/p/s.scene" }))).toEqual(["s.scene was deleted; waiting for it to come back"]);
    expect(lines(h.send({ type: "file", event: "unlink", file: "/p/lib.scene" }))).toEqual(["lib.scene was deleted"]);
    expect(lines(h.send({ type: "file", event: "add", file: "/p/lib.scene" }))).toEqual(["lib.scene is back"]);
    expect(lines(h.send({ type: "file", event: "add", file: "/p/new.png" }))).toEqual([]);
    expect(h.state.changes).toEqual(["/p/s.scene", "/p/lib.scene", "/p/new.png"]);
  });
});

describe("watch: one render at a time, the newest wins", () => {
  it("a compiled job during a render cancels it, and starts once it has stopped", () => {
    const job1 = job("job1");
    const h = rendering(job1);
    const job2 = job("job2");
    expect(types(h.send(ok(job2)))).toEqual(["publish", "cancel-render"]);
    expect(h.phase).toBe("cancelling");
    h.send({ type: "guides", job: job2, ok: true });
    const effects = h.send({ type: "cancelled", job: job1 });
    expect(lines(effects)).toEqual(["render cancelled: a newer save replaces it", "render started"]);
    expect(renders(effects)).toEqual(["job2"]);
  });

  it("jobs compiled while a cancelled render winds down replace each other in the one waiting slot", () => {
    const job1 = job("job1");
    const h = rendering(job1);
    const later = [job("job2"), job("job3"), job("job4")];
    for (const j of later) h.send(ok(j), { type: "guides", job: j, ok: true });
    expect(h.effects.filter((e) => e.type === "cancel-render")).toHaveLength(1);
    expect(h.state.next?.job.name).toBe("job4");
    expect(renders(h.send({ type: "cancelled", job: job1 }))).toEqual(["job4"]);
    expect(renders(h.effects)).toEqual(["job1", "job4"]);
  });

  it("a waiting job whose guides are still decoding starts when they have decoded", () => {
    const job1 = job("job1");
    const job2 = job("job2");
    const h = rendering(job1);
    h.send(ok(job2), { type: "cancelled", job: job1 });
    expect(h.phase).toBe("compiling");
    expect(renders(h.send({ type: "guides", job: job2, ok: true }))).toEqual(["job2"]);
  });

  it("a newer compile replaces a job whose guides are still decoding: the older never renders", () => {
    const [job1, job2] = [job("job1"), job("job2")];
    const h = new Harness();
    h.send({ type: "start" }, ok(job1), ok(job2));
    expect(renders(h.send({ type: "guides", job: job1, ok: true }))).toEqual([]);
    expect(renders(h.send({ type: "guides", job: job2, ok: true }))).toEqual(["job2"]);
  });

  it("a render that finishes although asked to stop is written, then the waiting job runs", () => {
    const [job1, job2] = [job("job1"), job("job2")];
    const h = rendering(job1);
    h.send(ok(job2), { type: "guides", job: job2, ok: true });
    expect(types(h.send({ type: "rendered", job: job1 }))).toEqual(["encode"]);
    expect(h.send(ok(job("job3")))).not.toContainEqual({ type: "cancel-render" }); // writing: nothing to cancel
    expect(types(h.send({ type: "encoded", job: job1 }))).toEqual(["write"]);
    const effects = h.send(written(job1));
    expect(lines(effects)).toEqual(["render finished in 812 ms -> s.png (128 x 64, compiled in 12 ms, 12:03:41)"]);
    expect(renders(effects)).toEqual([]); // job3 replaced job2, and its guides have not decoded yet
    expect(h.phase).toBe("compiling");
  });

  it("a broken save leaves the render of the last good scene alone; its picture is then still stale", () => {
    const job1 = job("job1");
    const h = rendering(job1);
    const effects = h.send(errors);
    expect(types(effects)).toEqual(["publish", "print"]);
    expect(lines(effects)).toEqual(["scene has errors (2 errors): s.png is stale: the scene has errors (no good render yet)"]);
    expect(h.phase).toBe("rendering");
    h.send({ type: "rendered", job: job1 }, { type: "encoded", job: job1 });
    expect(lines(h.send(written(job1)))).toEqual([
      "render finished in 812 ms -> s.png (128 x 64, compiled in 12 ms, 12:03:41)",
      "s.png is stale: the scene has errors (last good render 12:03:41)",
    ]);
    expect(h.phase).toBe("idle");
  });

  it("a guide that does not decode starts a new round at once, whose compile reports it", () => {
    const job1 = job("job1");
    const h = new Harness();
    h.send({ type: "start" }, ok(job1), { type: "file", event: "change", file: "/p/g.png" });
    expect(h.send({ type: "guides", job: job1, ok: false })).toEqual([{ type: "cancel-debounce" }, { type: "compile", changes: ["/p/g.png"] }]);
    expect(h.phase).toBe("idle");
  });

  it("a guide changed during the render: a new round, unless one is on its way", () => {
    const job1 = job("job1");
    const h = rendering(job1);
    const effects = h.send({ type: "stale-guide", job: job1 });
    expect(lines(effects)).toEqual(["render cancelled: a guide image changed during the render"]);
    expect(types(effects)).toContain("debounce");
    expect(h.state.changes).toEqual(["/p/s.scene"]);

    const again = rendering(job1);
    again.send({ type: "file", event: "change", file: "/p/g.png" });
    expect(types(again.send({ type: "stale-guide", job: job1 }))).not.toContain("debounce");
  });

  it("a failed render says why, and the picture is stale", () => {
    const job1 = job("job1");
    const h = rendering(job1);
    expect(lines(h.send({ type: "failed", job: job1, message: "cannot write s.png: the disk is full" }))).toEqual([
      "render failed: cannot write s.png: the disk is full",
      "s.png is stale: the render failed (no good render yet)",
    ]);
    expect(previewState(h.state, ctx)).toMatchObject({ status: "failed", stale: true });
  });

  it("a compile that cannot render says why, with the output it worked out", () => {
    const h = new Harness();
    const outcome: CompileOutcome<Job> = { kind: "failed", message: "no model `x`", reason: "the model cannot be loaded", output: "/p/out/x.png", diagnostics: null };
    expect(lines(h.send({ type: "compiled", outcome }))).toEqual(["render failed: no model `x`", "out/x.png is stale: the model cannot be loaded (no good render yet)"]);
  });
});

describe("watch: the preview page's state", () => {
  it("starting, rendering with its steps, then up to date", () => {
    const h = new Harness();
    expect(previewState(h.state, ctx)).toMatchObject({ scene: "s.scene", output: "s.png", status: "starting", message: "starting", progress: null });
    const job1 = job("job1");
    h.send({ type: "start" }, ok(job1), { type: "guides", job: job1, ok: true });
    expect(h.send({ type: "step", job: job1, step: 2, steps: 4 })).toEqual([{ type: "progress", text: "step 2/4" }, { type: "publish" }]);
    expect(previewState(h.state, ctx)).toMatchObject({ status: "rendering", message: "rendering: step 2/4", progress: { step: 2, steps: 4 } });
    h.send({ type: "rendered", job: job1 }, { type: "encoded", job: job1 }, written(job1));
    expect(previewState(h.state, ctx)).toMatchObject({ status: "ok", message: "s.png is up to date (12:03:41, 812 ms)", stale: false, image: { version: 1, width: 128, height: 64 } });
  });
});

describe("watch: stopping", () => {
  /** States the machine reaches on its way, each with the job in flight (if any). */
  function reachable(): { name: string; h: () => Harness; job?: Job }[] {
    const job1 = job("job1");
    return [
      { name: "idle", h: () => new Harness() },
      { name: "debouncing", h: () => withEvents([{ type: "file", event: "change", file: "/p/s.scene" }]) },
      { name: "compiling", h: () => withEvents([{ type: "start" }, ok(job1)]) },
      { name: "rendering", h: () => rendering(job1), job: job1 },
      { name: "cancelling", h: () => withEvents([{ type: "start" }, ok(job1), { type: "guides", job: job1, ok: true }, ok(job("job2"))]), job: job1 },
      { name: "writing", h: () => withEvents([{ type: "start" }, ok(job1), { type: "guides", job: job1, ok: true }, { type: "rendered", job: job1 }]), job: job1 },
    ];
  }
  function withEvents(events: WatchEvent<Job>[]): Harness {
    const h = new Harness();
    h.send(...events);
    return h;
  }

  it("a stop in any state cancels the render and closes the watchers, and never ends the process by itself", () => {
    for (const { name, h: make } of reachable()) {
      const h = make();
      const effects = h.send({ type: "stop", signal: "SIGINT" });
      expect({ name, phase: h.phase }).toEqual({ name, phase: "stopping" });
      expect(types(effects), name).toEqual(expect.arrayContaining(["cancel-render", "remove-pending-temp-files", "close-watchers"]));
      expect(types(effects), name).not.toContain("exit");
      expect(types(effects), name).not.toContain("close-renderer");
    }
  });

  it("exits only once the render client has closed, after the work in flight settled and the watchers closed (SIGINT at a render's start-up)", () => {
    for (const { name, h: make, job: inFlight } of reachable()) {
      const h = make();
      h.send({ type: "stop", signal: "SIGINT" });
      // Nothing new starts while stopping: saves, compiles and guides are ignored.
      const late = h.send({ type: "file", event: "change", file: "/p/s.scene" }, { type: "quiet" }, ok(job("late")), { type: "guides", job: job("late"), ok: true }, { type: "stop", signal: "SIGINT" });
      expect(late, name).toEqual([]);
      expect(h.send({ type: "watchers-closed" }), name).toEqual(inFlight ? [] : [{ type: "close-renderer" }]);
      if (inFlight) {
        // The worker is still in its ONNX Runtime call: the render settles first (a picture that
        // finishes now is not written), and only then is the client closed.
        expect(h.send({ type: "rendered", job: inFlight }), name).toEqual([{ type: "close-renderer" }]);
      }
      expect(types(h.effects), name).not.toContain("exit");
      expect(h.send({ type: "renderer-closed" }), name).toEqual([{ type: "remove-pending-temp-files" }, { type: "print", text: "stopped" }, { type: "exit", signal: "SIGINT" }]);
    }
  });

  it("a render that never settles still gets the client closed after the wait, and the exit waits for that close", () => {
    const h = rendering();
    h.send({ type: "stop" }, { type: "watchers-closed" });
    expect(h.send({ type: "stop-timeout" })).toEqual([{ type: "close-renderer" }]);
    expect(h.send({ type: "stop-timeout" })).toEqual([]);
    expect(types(h.send({ type: "renderer-closed" }))).toEqual(["remove-pending-temp-files", "print", "exit"]);
  });

  it("no sequence of events reaches `exit` except through the render client's close", () => {
    const job1 = job("job1");
    const events: WatchEvent<Job>[] = [
      { type: "start" },
      { type: "file", event: "change", file: "/p/s.scene" },
      { type: "quiet" },
      ok(job1),
      errors,
      { type: "guides", job: job1, ok: true },
      { type: "guides", job: job1, ok: false },
      { type: "step", job: job1, step: 1, steps: 4 },
      { type: "rendered", job: job1 },
      { type: "encoded", job: job1 },
      written(job1),
      { type: "cancelled", job: job1 },
      { type: "failed", job: job1, message: "x" },
      { type: "stop", signal: "SIGTERM" },
      { type: "watchers-closed" },
      { type: "stop-timeout" },
      { type: "renderer-closed" },
    ];
    // Every sequence of three events from every reachable state; records each `exit` not brought
    // by the render client's close after the machine asked for it.
    const wrong: string[] = [];
    const explore = (state: WatchState<Job>, closing: boolean, path: string[]) => {
      if (path.length === 4) return;
      for (const event of events) {
        const next = transition(ctx, state, event);
        const effects = types(next.effects);
        const at = [...path, event.type];
        if (effects.includes("exit") && !(closing && event.type === "renderer-closed")) wrong.push(at.join(" → "));
        explore(next.state, closing || effects.includes("close-renderer"), at);
      }
    };
    for (const { name, h: make } of reachable()) explore(make().state, false, [name]);
    expect(wrong).toEqual([]);
  });

  it("the orphan check's stop says why; the signal is kept for the exit (SIGHUP ends by SIGHUP)", () => {
    const h = new Harness();
    expect(lines(h.send({ type: "stop", orphaned: "parent" }))).toEqual(["the process that started this watch has ended; stopping"]);
    expect(lines(new Harness().send({ type: "stop", orphaned: "stdin" }))).toEqual(["stdin was closed; stopping"]);
    for (const signal of STOP_SIGNALS) {
      const s = new Harness();
      s.send({ type: "stop", signal }, { type: "watchers-closed" });
      expect(s.send({ type: "renderer-closed" }).at(-1)).toEqual({ type: "exit", signal });
    }
  });
});
