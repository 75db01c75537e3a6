import { UsageError } from "./errors.js";

/** The most pictures one `--seeds` asks for: a sweep, not a way to fill a disk by a typo. */
export const MAX_SEEDS = 10_000;

/**
 * `--seeds 1-16`, `--seeds 3,7,42`, `--seeds 1-4,10`: the seeds in the order written, each once.
 * Seeds are whole numbers from 0 to 2^53 − 1, as `seed` takes them; a range goes up.
 */
export function parseSeedList(text: string, command: string): number[] {
  const seeds: number[] = [];
  const seen = new Set<number>();
  const bad = (why: string) => new UsageError(`--seeds ${why}; write seeds and ranges such as \`1-16\` or \`3,7,42\``, command);
  for (const item of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
    if (!m) throw bad(`has \`${item.trim()}\`, which is neither a seed nor a range`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw bad(`has a seed over 2^53 - 1 in \`${item.trim()}\``);
    if (to < from) throw bad(`has the range \`${item.trim()}\`, which goes down`);
    if (to - from + 1 + seeds.length > MAX_SEEDS) throw bad(`asks for more than ${MAX_SEEDS.toLocaleString("en-US")} pictures`);
    for (let s = from; s <= to; s++) {
      if (seen.has(s)) throw bad(`names seed ${s} twice`);
      seen.add(s);
      seeds.push(s);
    }
  }
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
