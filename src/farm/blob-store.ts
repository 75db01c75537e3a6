import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { STORED_TTL_S, type FarmKeys } from "./farm-job.js";

export function sha256Of(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Stores a file's bytes under its hash unless they are there already (then only their TTL is
 * renewed): a guide shared by a run's sixteen pictures, or by every run, travels once. Returns
 * whether the bytes were sent.
 */
export async function uploadBlob(redis: Redis, keys: FarmKeys, sha256: string, bytes: Uint8Array): Promise<boolean> {
  const key = keys.blob(sha256);
  if ((await redis.expire(key, STORED_TTL_S)) === 1) return false;
  await redis.set(key, Buffer.from(bytes), "EX", STORED_TTL_S, "NX");
  return true;
}

/** A worker's blobs, kept in memory by hash (up to a budget, the oldest dropped first): each is fetched once. */
export class BlobCache {
  private readonly blobs = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
    private readonly budget = 256 * 1024 * 1024,
  ) {}

  /** The blob's bytes, checked against its hash; a reason when it is missing or does not match. */
  async get(sha256: string): Promise<Buffer | { problem: string }> {
    const cached = this.blobs.get(sha256);
    if (cached) return cached;
    const bytes = await this.redis.getBuffer(this.keys.blob(sha256));
    if (bytes === null) return { problem: "is not in Redis (expired, or never uploaded)" };
    // A key anyone with access to Redis could have written: the hash is the only trust.
    if (sha256Of(bytes) !== sha256) return { problem: "does not match its sha256" };
    this.blobs.set(sha256, bytes);
    this.bytes += bytes.length;
    for (const [hash, old] of this.blobs) {
      if (this.bytes <= this.budget || hash === sha256) break;
      this.blobs.delete(hash);
      this.bytes -= old.length;
    }
    return bytes;
  }
}
