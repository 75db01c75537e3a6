/** `scenec watch`'s command line, in-process: help and usage errors (nothing is watched). */
import { describe, expect, it } from "vitest";
import { runMain as run } from "./helpers/scenec-main.js";


describe("scenec watch arguments", () => {
  it("is listed in the general help, and its help documents the debounce, --serve and the stable lines", async () => {
    expect((await run("--help")).stdout).toMatch(/^ {2}watch +render a scene again on every save/m);
    const { status, stdout } = await run("watch", "--help");
    expect(status).toBe(0);
    expect(stdout).toMatch(/^usage: scenec watch SCENE \[-o OUT\] \[--serve \[PORT\]\]/);
    expect(stdout).toContain("quiet for 150 ms");
    expect(stdout).toContain("[watch] render started");
    expect(stdout).toContain("[watch] render finished in 812 ms -> out.png");
    expect(stdout).toContain("--keep-history");
  });

  it.each([
    [[], "watch needs a SCENE file"],
    [["a.scene", "b.scene"], "watch takes one SCENE, not 2"],
    [["a.scene", "--serve", "70000"], "--serve needs a port from 0 to 65535, not `70000`"],
    [["w.scene", "--serve", "abc"], "`abc` is not a port: --serve needs a port number from 0 to 65535"],
    [["--serve", "80.5", "w.scene"], "`80.5` is not a port: --serve needs a port number from 0 to 65535"],
    [["a.scene", "b.scene", "--serve"], "watch takes one SCENE, not 2"],
    [["a.scene", "4750"], "watch takes one SCENE, not 2"],
    [["a.scene", "--device", "tpu"], "--device must be auto, cpu, webgpu or cuda, not `tpu`"],
    [["a.scene", "--steps", "0"], "--steps needs a whole number from 1 to 1000, not `0`"],
    [["a.scene", "--serve=80"], "option `--serve` takes no value"],
  ])("scenec watch %j is a usage error", async (args, message) => {
    const { status, stderr } = await run("watch", ...args);
    expect(status).toBe(2);
    expect(stderr).toContain(`scenec: ${message}`);
  });

  it("a scene that cannot be read is an error at the start", async () => {
    const { status, stderr } = await run("watch", "no-such-file.scene", "--serve", "0");
    expect(status).toBe(2);
    expect(stderr).toBe("scenec: cannot read no-such-file.scene: no such file or directory\n");
  });
});
