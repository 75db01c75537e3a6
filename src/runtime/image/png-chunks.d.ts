// Types for the two untyped PNG chunk packages (CommonJS, `module.exports = fn`).

declare module "png-chunks-extract" {
  /** One chunk: its four-letter type and its data (without length, type or CRC). */
  interface PngChunk {
    name: string;
    data: Uint8Array;
  }
  /** Splits a PNG into its chunks, checking the signature, IHDR first, every CRC and IEND. Throws on any of those. */
  function extractChunks(data: Uint8Array): PngChunk[];
  export = extractChunks;
}

declare module "png-chunks-encode" {
  /** Joins chunks into a PNG file: signature, then each chunk with its length and CRC. */
  function encodeChunks(chunks: ReadonlyArray<{ name: string; data: Uint8Array }>): Uint8Array;
  export = encodeChunks;
}
