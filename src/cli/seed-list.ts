import { expandSeedRanges, MAX_SEEDS } from "../compiler/plan/seed-ranges.js";
import { UsageError } from "./errors.js";

/**
 * `--seeds 1-16`, `--seeds 3,7,42`, `--seeds 1-4,10`: the seeds in the order written, each once,
 * as a scene's `seeds 1..16` (seed-ranges.ts). Seeds are whole numbers from 0 to 2^53 − 1.
 */
export function parseSeedList(text: string, command: string): number[] {
  const bad = (why: string) => new UsageError(`--seeds ${why}; write seeds and ranges such as \`1-16\` or \`3,7,42\``, command);
  const items = text.split(",").map((item) => item.trim());
  const ranges = items.map((item) => {
    const m = /^(\d+)\s*(?:-\s*(\d+))?$/.exec(item);
    if (!m) throw bad(`has \`${item}\`, which is neither a seed nor a range`);
    const [from, to] = [Number(m[1]), m[2] === undefined ? Number(m[1]) : Number(m[2])];
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw bad(`has a seed over 2^53 - 1 in \`${item}\``);
    return { from, to };
  });
  const { seeds, problems } = expandSeedRanges(ranges);
  const [p] = problems;
  if (p?.kind === "descending") throw bad(`has the range \`${items[p.index]}\`, which goes down`);
  if (p?.kind === "twice") throw bad(`names seed ${p.seed} twice`);
  if (p?.kind === "tooMany") throw bad(`asks for more than ${MAX_SEEDS.toLocaleString("en-US")} pictures`);
  return seeds;
}

/**
 * Where one seed's picture of a sweep goes: `{seed}` in the name replaced by it, else `-SEED`
 * before the extension (`forest.png` → `forest-7.png`).
 */
export function seededOutput(output: string, seed: number): string {
  if (output.includes("{seed}")) return output.replaceAll("{seed}", String(seed));
  const dot = output.lastIndexOf(".");
  const slash = Math.max(output.lastIndexOf("/"), output.lastIndexOf("\\"));
  return dot > slash + 1 ? `${output.slice(0, dot)}-${seed}${output.slice(dot)}` : `${output}-${seed}`;
}
