/**
 * A memory size as users write it, for `--decode-memory` and scenec.yaml's `decode-memory:`:
 * a number and a unit, `4GB`, `1.5 GB`, `512MB` (GB and MB count 1024³ and 1024² bytes, as
 * GiB and MiB, which are accepted too).
 */
const UNITS: Record<string, number> = { mb: 2 ** 20, mib: 2 ** 20, gb: 2 ** 30, gib: 2 ** 30 };

/** Below this a decode cannot hold even one staged attention slice (128 MB) and a small tile. */
export const MIN_DECODE_MEMORY = 256 * 2 ** 20;
export const MAX_DECODE_MEMORY = 1024 * 2 ** 30;

export const MEMORY_SIZE_HELP = "a size from 256MB to 1024GB, such as 4GB or 512MB";

/** Bytes, or undefined when the text is not a size in range. */
export function parseMemorySize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  const unit = match && UNITS[match[2]!.toLowerCase()];
  if (!match || !unit) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return bytes >= MIN_DECODE_MEMORY && bytes <= MAX_DECODE_MEMORY ? bytes : undefined;
}
