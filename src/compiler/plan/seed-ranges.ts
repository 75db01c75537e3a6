/** The most pictures one seed list asks for: a sweep, not a way to fill a disk by a typo. */
export const MAX_SEEDS = 10_000;

export type SeedRangeProblem =
  | { kind: "descending"; index: number }
  | { kind: "twice"; index: number; seed: number }
  | { kind: "tooMany"; index: number };

/**
 * A seed list (`seeds 1..4, 10` in a scene, `--seeds 1-4,10` on the command line) as its seeds,
 * in the order written; the first problem of each range stops that range, too many stops all.
 */
export function expandSeedRanges(ranges: readonly { from: number; to: number }[]): { seeds: number[]; problems: SeedRangeProblem[] } {
  const seeds: number[] = [];
  const seen = new Set<number>();
  const problems: SeedRangeProblem[] = [];
  for (const [index, { from, to }] of ranges.entries()) {
    if (to < from) {
      problems.push({ kind: "descending", index });
      continue;
    }
    if (seeds.length + (to - from + 1) > MAX_SEEDS) {
      problems.push({ kind: "tooMany", index });
      break;
    }
    for (let s = from; s <= to; s++) {
      if (seen.has(s)) {
        problems.push({ kind: "twice", index, seed: s });
        break;
      }
      seen.add(s);
      seeds.push(s);
    }
  }
  return { seeds, problems };
}
