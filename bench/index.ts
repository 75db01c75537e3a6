/**
 * Runs every benchmark in bench/: each module here that exports `benchmark` (see harness.ts),
 * in file-name order. `npm run bench` builds first and runs this with `node --expose-gc`.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Benchmark } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const extension = self.endsWith(".ts") ? ".ts" : ".js";
const only = process.argv.slice(2);

const modules = readdirSync(here)
  .filter((f) => f.endsWith(extension) && !f.endsWith(".d.ts") && join(here, f) !== self)
  .sort();

let ran = 0;
for (const file of modules) {
  const module = (await import(pathToFileURL(join(here, file)).href)) as { benchmark?: Benchmark };
  const benchmark = module.benchmark;
  if (!benchmark || (only.length > 0 && !only.includes(benchmark.name))) continue;
  console.log(`== ${benchmark.name} (bench/${file.replace(/\.js$/, ".ts")})`);
  await benchmark.run();
  console.log("");
  ran++;
}
if (ran === 0) {
  console.error(only.length > 0 ? `no benchmark named ${only.join(", ")}` : "no benchmarks found in bench/");
  process.exitCode = 1;
}
