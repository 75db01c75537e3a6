/**
 * Golden command-line messages: the exact stderr (and exit status) of mistakes on the command
 * line, run in-process through main() with colour off; a spawn would prove nothing more here.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runMain as run } from "./helpers/scenec-main.js";
import { ROOT } from "./helpers/scenec-cli.js";


/** A committed fixture, named as a user in the current folder would name it. */
const fixture = (name: string) => path.relative(process.cwd(), path.join(ROOT, "test/fixtures/bad", name));

describe("command-line messages", () => {
  it.each([
    [["render", "x.scene", "--seed", "-1"], "scenec: --seed needs a whole number from 0 to 9007199254740991, not `-1` (see `scenec render --help`)"],
    [["render", "x.scene", "--noise", "pytorch"], "scenec: --noise must be scenec, torch or philox, not `pytorch` (see `scenec render --help`)"],
    [["watch", "x.scene", "--steps", "-20"], "scenec: --steps needs a whole number from 1 to 1000, not `-20` (see `scenec watch --help`)"],
    [["render", "x.scene", "--step", "3"], "scenec: unknown option `--step` for `scenec render`; did you mean `--steps`? (see `scenec render --help`)"],
    [["check", "--jsn", "x.scene"], "scenec: unknown option `--jsn` for `scenec check`; did you mean `--json`? (see `scenec check --help`)"],
    [["plan", "x.scene", "--otput", "p.yaml"], "scenec: unknown option `--otput` for `scenec plan`; did you mean `--output`? (see `scenec plan --help`)"],
    [["check", "--max-guide-pixels", "9", "x.scene"], "scenec: unknown option `--max-guide-pixels` for `scenec check`; did you mean `--max-guide-megapixels`? (see `scenec check --help`)"],
    [["check", "--frobnicate", "x.scene"], "scenec: unknown option `--frobnicate` for `scenec check` (see `scenec check --help`)"],
    [["plan", "x.scene", "-o", "-x"], "scenec: option `-o` needs a value; one that starts with `-` is written `--output=-x` (see `scenec plan --help`)"],
    [["--verison"], "scenec: unknown option `--verison`; did you mean `--version`? (see `scenec --help`)"],
    [["--json", "check", "x.scene"], "scenec: unknown option `--json` (options go after the COMMAND) (see `scenec --help`)"],
    [["check", "--max-guide-megapixels", "0", "x.scene"], "scenec: --max-guide-megapixels needs a positive number, not `0` (see `scenec check --help`)"],
  ])("scenec %j", async (argv, message) => {
    const { status, stdout, stderr } = await run(...argv);
    expect(stderr).toBe(`${message}\n`);
    expect(stdout).toBe("");
    expect(status).toBe(2);
  });

  it.each(["-v", "-V", "--version"])("%s prints the version", async (flag) => {
    const { status, stdout, stderr } = await run(flag);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(stderr).toBe("");
    expect(status).toBe(0);
  });

  it("S3005 names the flag that raises the guide limit, with the value this image needs", async () => {
    const scene = fixture("guide-too-large.scene");
    const { status, stderr } = await run("check", scene);
    expect(stderr).toBe(`${scene}:6:7: error[S3005]: guide image \`guides/huge-20000x20000.png\` is 20000 x 20000, over the limit of 128000000 pixels
   5 │ }
   6 │ guide "guides/huge-20000x20000.png" {
     │       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ too many pixels to decode safely
   = help: scale the image down, or raise the limit (\`--max-guide-megapixels 400\`) if you trust the file

1 error
`);
    expect(status).toBe(1);
    // The flag it names exists and is the compiler's maxGuidePixels: 400 megapixels let it past
    // S3005, to the decoder, which finds no pixels behind the header.
    expect((await run("check", "--max-guide-megapixels", "400", scene)).stderr).toContain("error[S3004]: guide image `guides/huge-20000x20000.png` is damaged");
    expect((await run("check", "--max-guide-megapixels", "399.9", scene)).stderr).toContain("over the limit of 399900000 pixels");
  });
});
