import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jobPathProblem } from "../src/farm/job-files.js";
import { parseRedisUrl } from "../src/farm/redis-url.js";
import { readPngText } from "../src/runtime/image/png-text.js";
import { hasRedis, startRedis } from "../bench/redis-server.js";
import { runMain } from "./helpers/scenec-main.js";
import { runScenec, startScenec } from "./helpers/scenec-cli.js";

// The render farm's security (README "Render farm"): Redis URLs with credentials and TLS, the
// credentials never printed, and the paths a job may name. The servers are real redis-servers.
const farmIt = it.skipIf(!hasRedis && !process.env["CI"]);
const PASSWORD = "s3cret-farm-pass";

describe("farm Redis URLs", () => {
  it("reads the host, port, database, credentials and TLS; shows the URL without its credentials", () => {
    const address = parseRedisUrl("rediss://render:p%40ss-word@farm.example:6380/2", "--farm");
    expect(address.options).toEqual({ host: "farm.example", port: 6380, db: 2, username: "render", password: "p@ss-word", tls: { servername: "farm.example" } });
    expect(address.shown).toBe("rediss://farm.example:6380/2");
    expect(address.redact("WRONGPASS for render with p@ss-word (p%40ss-word) at rediss://render:p%40ss-word@farm.example:6380/2")).toBe(
      "WRONGPASS for *** with *** (***) at rediss://farm.example:6380/2",
    );
    expect(parseRedisUrl("redis://127.0.0.1", "--redis").options).toEqual({ host: "127.0.0.1", port: 6379 });
    expect(parseRedisUrl("rediss://127.0.0.1:7000", "--redis").options.tls).toEqual({});
    // SCENEC_REDIS_PASSWORD when the URL has none; the URL's own wins.
    expect(parseRedisUrl("redis://farm:6379", "--farm", "from-env").options.password).toBe("from-env");
    expect(parseRedisUrl("redis://:own@farm:6379", "--farm", "from-env").options.password).toBe("own");
    expect(parseRedisUrl("redis://farm:6379", "--farm", "from-env").redact("auth from-env failed")).toBe("auth *** failed");
  });

  it("refuses what is not a Redis URL without echoing it", () => {
    expect(() => parseRedisUrl("secret-password@host", "--farm")).toThrow(/^--farm needs a Redis URL such as/);
    expect(() => parseRedisUrl("secret-password@host", "--farm")).not.toThrow(/secret/);
    expect(() => parseRedisUrl("http://u:secret-password@host", "--farm")).toThrow("a redis:// or rediss:// (TLS) URL, not http:");
    expect(() => parseRedisUrl("redis://u:secret-password@host/x", "--farm")).toThrow("the database number");
  });
});

describe("the paths a farm job may name", () => {
  it("are plain relative paths inside the job's folder", () => {
    expect(jobPathProblem("guides/sky.png")).toBeUndefined();
    for (const [file, why] of [
      ["../sky.png", "leaves the scene's folder"],
      ["a/../../b.png", "leaves the scene's folder"],
      ["/etc/passwd", "absolute"],
      ["C:/x.png", "absolute"],
      ["a\\..\\b.png", "backslash"],
      ["a//b.png", "plain form"],
      ["./a.png", "plain form"],
      ["a\0b", "NUL"],
      ["", "empty"],
    ] as const)
      expect(jobPathProblem(file), file).toContain(why);
  });
});

describe("what render --farm refuses before it sends anything", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "scenec-farm-refusals-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Nothing listens on port 1: a refusal that connected first would say it cannot reach Redis.
  const farm = ["--farm", "redis://user:secret-password@127.0.0.1:1"];

  it("a model given as a folder: the workers render named models only", async () => {
    const scene = path.join(dir, "folder.scene");
    writeFileSync(scene, 'model "./models/sd15"\ncanvas 64 x 64\nregion r { prompt "x" }\n');
    const run = await runMain("render", scene, ...farm);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("the scene's model is the folder `./models/sd15`, and farm workers render only named models");
    expect(run.stderr).not.toContain("secret-password");
  });

  it("the local render's own options", async () => {
    const scene = path.join(dir, "plain.scene");
    writeFileSync(scene, 'canvas 64 x 64\nregion r { prompt "x" }\n');
    expect((await runMain("render", scene, ...farm, "--device", "cpu")).stderr).toContain("--device is each worker's own (`scenec worker --device`)");
    expect((await runMain("render", scene, ...farm, "--save-latents", "x.npy")).stderr).toContain("--save-latents is for a local render");
    expect((await runMain("render", scene, "--queue", "q")).stderr).toContain("--queue and --farm-timeout go with --farm URL");
    expect((await runMain("worker")).stderr).toContain("worker needs --redis URL");
  });
});

describe("a farm on Redis with a password, over TLS", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "scenec-farm-tls-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  farmIt("renders with the credentials and the server's certificate; no message shows the password", async () => {
    const server = await startRedis({ tls: true, password: PASSWORD });
    const url = `rediss://default:${PASSWORD}@127.0.0.1:${server.port}`;
    // The self-signed certificate is trusted the way any private CA is: NODE_EXTRA_CA_CERTS.
    const env = { NODE_EXTRA_CA_CERTS: server.certificate! };
    // The worker takes its password from the environment, the client from the URL.
    const worker = startScenec(["worker", "--redis", `rediss://127.0.0.1:${server.port}`, "--queue", "tls", "--name", "t1"], { cwd: dir, env: { ...env, SCENEC_REDIS_PASSWORD: PASSWORD } });
    try {
      writeFileSync(path.join(dir, "sky.scene"), 'canvas 64 x 64\nsteps 2\nregion r { prompt "a blue sky" }\n');
      const deadline = Date.now() + 20_000;
      while (!worker.stderr().includes("waiting for jobs") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(worker.stderr()).toContain(`waiting for jobs on rediss://127.0.0.1:${server.port}, queue tls`);
      const run = await runScenec(["render", "sky.scene", "--seeds", "1-2", "--farm", url, "--queue", "tls"], { cwd: dir, env });
      expect(run.status, run.stderr).toBe(0);
      expect(readPngText(readFileSync(path.join(dir, "sky-2.png")))["scenec:seed"]).toBe("2");

      const wrong = await runScenec(["render", "sky.scene", "--farm", `rediss://default:wrong-${PASSWORD}@127.0.0.1:${server.port}`], { cwd: dir, env });
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toMatch(/WRONGPASS|invalid (username-)?password/i);
      const plain = await runScenec(["render", "sky.scene", "--farm", `redis://default:${PASSWORD}@127.0.0.1:${server.port}`], { cwd: dir, env });
      expect(plain.status).toBe(2);
      expect(plain.stderr).toContain(`cannot reach Redis at redis://127.0.0.1:${server.port}`);
      for (const text of [worker.stderr(), run.stderr, wrong.stderr, plain.stderr]) expect(text).not.toContain(PASSWORD);
    } finally {
      worker.child.kill("SIGTERM");
      await worker.done;
      await server.stop();
    }
    expect(worker.stderr()).not.toContain(PASSWORD);
  }, 60_000);
});
