import { createHash } from "node:crypto";

/** scenec's change to a model's graph before ONNX Runtime sees it; `identity` keys the cached result (model-cache.ts). */
export interface Rewrite {
  /** The rewrite's name, options and code: a change to any of them must not load a graph made by the old one. */
  identity: string;
  /** The rewritten bytes, or undefined (or the same bytes) to leave the model as it is. */
  apply: (model: Uint8Array) => Uint8Array | undefined;
}

/** A rewrite's identity: its name and options, and a hash of its code (the source text of the functions that do it). */
export function rewriteIdentity(name: string, code: readonly ((...args: never[]) => unknown)[], ...options: unknown[]): string {
  const hash = createHash("sha256");
  for (const f of code) hash.update(f.toString());
  return [name, ...options.map(String), hash.digest("hex").slice(0, 16)].join("/");
}

/** `first` then `second` (either may be absent; each leaves the bytes alone by returning undefined). */
export function chainRewrites(first: Rewrite | undefined, second: Rewrite | undefined): Rewrite | undefined {
  if (!first || !second) return first ?? second;
  return {
    identity: `${first.identity}+${second.identity}`,
    apply: (model) => {
      const once = first.apply(model) ?? model;
      return second.apply(once) ?? (once === model ? undefined : once);
    },
  };
}
