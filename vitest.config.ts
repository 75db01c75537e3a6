import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // Each file in its own process: tests change the current folder (process.chdir, which worker
    // threads refuse) and load onnxruntime-node; this is vitest's default, stated because tests rely on it.
    pool: "forks",
    // Optimised models are cached in a temporary folder for the run, not in ~/.cache.
    globalSetup: ["test/helpers/model-cache-folder.ts"],
    // vitest runs files on all cores but one, so one at a time on 2 cores; most of a file's time
    // here is spent waiting on processes it started (the CLI, renders, watch), so two files at a
    // time overlap those waits.
    maxWorkers: Math.max(availableParallelism() - 1, 2),
  },
});
