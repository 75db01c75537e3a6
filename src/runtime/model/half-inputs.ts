import { float32ToHalfArray } from "../onnx/float16.js";

/**
 * A float16 UNet's inputs, converted from float32 without allocating at every step: the sample
 * into a buffer reused from call to call, and the text embeddings once per content. The
 * embeddings are the same at every step of a render, but mixture.ts writes them into one shared
 * buffer before each call (other regions' between two calls of a region), so they are recognised
 * by their values, not by the array: comparing is a few times cheaper than converting, and two
 * prompts' embeddings differ within the first token rows.
 */
export class HalfInputs {
  /** The sample's buffer, when no call is using it. */
  private spare: Uint16Array | undefined = new Uint16Array(0);
  /** Recent embeddings and their float16 bits, most recent first. */
  private readonly embeddings: { values: Float32Array; halves: Uint16Array }[] = [];

  /**
   * `values` as float16 bits, in the reused buffer when it is free (a call still running keeps it:
   * another then gets a buffer of its own). Give it back with {@link release} once the call is over.
   */
  sample(values: Float32Array): Uint16Array {
    let buffer = this.spare ?? new Uint16Array(values.length);
    this.spare = undefined;
    if (buffer.length < values.length) buffer = new Uint16Array(values.length);
    return float32ToHalfArray(values, buffer).subarray(0, values.length);
  }

  release(sample: Uint16Array): void {
    const buffer = new Uint16Array(sample.buffer);
    if (!this.spare || buffer.length > this.spare.length) this.spare = buffer;
  }

  /** `values` as float16 bits, converted once for each content; never to be written to. */
  embedding(values: Float32Array): Uint16Array {
    const index = this.embeddings.findIndex((e) => sameValues(e.values, values));
    const found = index >= 0 ? this.embeddings.splice(index, 1)[0]! : { values: values.slice(), halves: float32ToHalfArray(values) };
    this.embeddings.unshift(found);
    if (this.embeddings.length > MAX_EMBEDDINGS) this.embeddings.pop();
    return found.halves;
  }
}

/**
 * How many embeddings are kept: a render's batches of distinct prompts, each 2 × 77 × 768 floats
 * for SD 1.5 with guidance (0.7 MB with its float16 copy).
 */
const MAX_EMBEDDINGS = 16;

/** Bit-for-bit equality (so NaNs and signed zeros compare as the conversion sees them). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
