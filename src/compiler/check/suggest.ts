import { distance } from "fastest-levenshtein";

/** Common spellings from other tools, mapped to ours. */
const ALIASES: Record<string, string> = {
  euler_a: "euler_ancestral",
  k_euler_a: "euler_ancestral",
  k_euler: "euler",
  k_lms: "lms",
  lmsdiscrete: "lms",
  dpm_2m: "dpmpp_2m",
  dpmpp2m: "dpmpp_2m",
  gauss: "gaussian",
  uniform: "constant",
  fill: "stretch",
  crop: "cover",
  letterbox: "contain",
};

/** `a` becomes `b` by swapping two neighbouring letters (`lsm` → `lms`): edit distance counts it as 2. */
function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]!] && a[diff[1]!] === b[diff[0]!];
}

function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (let j = 0; j < long.length && i < short.length; j++) if (short[i] === long[j]) i++;
  return i === short.length;
}

/**
 * The candidate the user most likely meant, or undefined. Accepts a close edit distance, two
 * swapped neighbouring letters, an abbreviation (same first letter, letters in order:
 * `eulr_a` → `euler_ancestral`) or a known alias.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  if (candidates.includes(lower)) return lower;
  const alias = ALIASES[lower];
  if (alias && candidates.includes(alias)) return alias;
  const swapped = candidates.find((c) => isTransposition(lower, c));
  if (swapped !== undefined) return swapped;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(lower, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(lower.length / 3))) return best;
  if (lower.length >= 3) {
    const abbreviated = candidates.filter((c) => c[0] === lower[0] && isSubsequence(lower, c));
    if (abbreviated.length === 1) return abbreviated[0];
  }
  return undefined;
}

/** "did you mean `x`?" or a list of the valid values when nothing is close. */
export function suggestionHelp(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  if (s !== undefined) return `did you mean \`${s}\`?`;
  return `expected one of ${candidates.map((c) => `\`${c}\``).join(", ")}`;
}
