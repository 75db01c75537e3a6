import os from "node:os";
import { DEFAULT_LIMITS } from "../../compiler/host.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { limitsFromOptions, SIZE_LIMIT_OPTIONS, SIZE_LIMIT_OPTIONS_HELP } from "../limits.js";
import { integerOption, renderSettings } from "../render-options.js";

export const workerCommand: Command = {
  name: "worker",
  synopsis: "--redis URL [--device auto|cpu|webgpu|cuda] [--queue NAME] [--name ID] [--lock-duration MS] [--stalled-interval MS] [--max-side N] [--max-megapixels N] [--max-guide-megapixels N]",
  summary: "render the jobs of a render farm (`scenec render --farm`) from a Redis queue",
  help: `Takes render jobs from the BullMQ queue on Redis that \`scenec render --farm URL\` fills, one
at a time, and renders each on one device; the model and the prompts' embeddings stay loaded
between jobs. A job carries its plan and the files it reads (guides, masks, noise files, by
sha256, each fetched once and checked against its hash); the finished picture goes back through
Redis, so workers need no shared file system. Models are named: the job's model name (or, when
the scene names none, the default) is looked up in THIS worker's scenec.yaml (in the folder it
runs in, or above), else the built-in model. A job is refused when its model is a folder path,
when its files would leave the job's own folder, or when it is over the worker's size limits
(the compiler's, or --max-side, --max-megapixels and --max-guide-megapixels below). Ctrl-C (or
SIGTERM) lets the job in flight finish, then the worker ends; a second one ends it at once.

options:
  --redis URL             the farm's Redis: redis://[USER:PASSWORD@]HOST[:PORT][/DB], or rediss://
                          for TLS (the credentials are never printed; SCENEC_REDIS_PASSWORD is
                          the password when the URL has none, out of sight of \`ps\`)
  --device D              auto (default), cpu, webgpu or cuda: as \`scenec render --device\`;
                          scenec.yaml's \`device:\` sets the default
  --queue NAME            the queue (default: scenec); render --farm --queue NAME fills it
  --name ID               how progress and messages name this worker (default: HOST:PID)
  --lock-duration MS      how long a job stays this worker's without a sign of life before another
                          worker takes it over (default: 30000)
  --stalled-interval MS   how often the workers look for such jobs (default: 30000)
${SIZE_LIMIT_OPTIONS_HELP}
  -h, --help              show this help

exit status: 0 stopped by Ctrl-C or SIGTERM, 2 bad arguments or a broken scenec.yaml`,
  options: {
    redis: { type: "string" },
    device: { type: "string" },
    queue: { type: "string" },
    name: { type: "string" },
    "lock-duration": { type: "string" },
    "stalled-interval": { type: "string" },
    ...SIZE_LIMIT_OPTIONS,
  },
  async run({ values, positionals }, terminal) {
    if (positionals.length) throw new UsageError(`worker takes no files (\`${positionals[0]}\`): the jobs bring their scenes`, "worker");
    const url = values["redis"];
    if (typeof url !== "string") throw new UsageError("worker needs --redis URL: the Redis that `scenec render --farm URL` uses", "worker");
    const { device } = renderSettings({ device: values["device"] }, "worker");
    const queue = typeof values["queue"] === "string" ? values["queue"] : undefined;
    const limits = { ...DEFAULT_LIMITS, ...limitsFromOptions(values, "worker") };
    const [{ parseRedisUrl }, { loadConfig }, { runFarmWorker }, { DEFAULT_QUEUE }, { onStopSignals }] = await Promise.all([
      import("../../farm/redis-url.js"),
      import("../config.js"),
      import("../../farm/farm-worker.js"),
      import("../../farm/farm-job.js"),
      import("../stop-signals.js"),
    ]);
    const address = parseRedisUrl(url, "--redis", process.env["SCENEC_REDIS_PASSWORD"]);
    const folder = process.cwd();
    const config = loadConfig(folder);
    let stopped!: () => void;
    const stop = new Promise<void>((resolve) => (stopped = resolve));
    const stopListening = onStopSignals(() => stopped());
    try {
      await runFarmWorker(
        {
          address,
          queue: queue ?? DEFAULT_QUEUE,
          id: typeof values["name"] === "string" ? values["name"] : `${os.hostname()}:${process.pid}`,
          device: device ?? config.device ?? "auto",
          config,
          folder,
          lockDuration: integerOption(values, "lock-duration", 100, 3_600_000, "worker") ?? 30_000,
          stalledInterval: integerOption(values, "stalled-interval", 100, 3_600_000, "worker") ?? 30_000,
          limits,
          log: (line) => terminal.stderr.write(`${line}\n`),
        },
        stop,
      );
    } finally {
      stopListening();
    }
    return 0;
  },
};
