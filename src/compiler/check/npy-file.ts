/**
 * NumPy's `.npy` format (format versions 1 to 3), for latent tensors: `noise "x.npy"` reads one,
 * `--save-latents` writes one. Only what latents need: little-endian float32 or float16, C order.
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *
 * Here rather than in the runtime because the compiler checks a noise file's header and values
 * (the runtime imports it to read the data).
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

export type NpyDtype = "float32" | "float16";

const DESCR: Record<string, NpyDtype> = { "<f4": "float32", "<f2": "float16" };

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** The raw little-endian values, copied out (so aligned for typed-array views). */
  data: ArrayBuffer;
}

export type NpyParse = { ok: true; array: NpyArray } | { ok: false; problem: string; dtype?: string };

/** Reads an .npy file's header and data; a problem is worded to follow "is not a NumPy array: ". */
export function parseNpy(bytes: Uint8Array): NpyParse {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) return { ok: false, problem: "it does not start with NumPy's `\\x93NUMPY` signature" };
  const major = bytes[6]!;
  if (major < 1 || major > 3) return { ok: false, problem: `it is .npy format version ${major}, which scenec does not read` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) return { ok: false, problem: "its header is cut short" };
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) return { ok: false, problem: "its header is cut short" };
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) return { ok: false, problem: "its header lacks `descr`, `fortran_order` or `shape`" };
  const dtype = DESCR[descr];
  if (dtype === undefined) return { ok: false, problem: `it holds \`${descr}\` values`, dtype: descr };
  if (fortran === "True") return { ok: false, problem: "it is stored in Fortran order (save a C-contiguous array: `np.ascontiguousarray`)" };
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) return { ok: false, problem: `its shape (${shapeText}) is not a list of sizes` };
  const count = shape.reduce((a, b) => a * b, 1);
  const bytesPerValue = dtype === "float32" ? 4 : 2;
  if (bytes.length - dataStart !== count * bytesPerValue)
    return { ok: false, problem: `its shape (${shape.join(", ")}) needs ${count * bytesPerValue} bytes of data, and it has ${bytes.length - dataStart}` };
  // A copy (Buffer.slice would be a view, with an unaligned offset into a pooled buffer).
  const data = new Uint8Array(bytes.subarray(dataStart)).buffer;
  return { ok: true, array: { dtype, shape, data } };
}

/** How many of an array's values are NaN or infinite. */
export function nonFiniteCount(array: NpyArray): number {
  let count = 0;
  if (array.dtype === "float32") {
    for (const v of new Float32Array(array.data)) if (!Number.isFinite(v)) count++;
  } else {
    // float16: exponent bits all ones.
    for (const h of new Uint16Array(array.data)) if ((h & 0x7c00) === 0x7c00) count++;
  }
  return count;
}

/** An .npy file (format 1.0, `<f4`, C order) holding `values` with `shape`. */
export function encodeNpy(values: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new RangeError(`encodeNpy: ${values.length} values for shape (${shape.join(", ")})`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // Magic, version and length take 10 bytes; the header ends in a newline, padded so data starts at a multiple of 64.
  header = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 10 - 1, " ") + "\n";
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 10 + header.length);
  return out;
}
