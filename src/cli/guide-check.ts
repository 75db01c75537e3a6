import type { CompileResult } from "../compiler/compile.js";
import type { CompilerHost, ImageToDecode, MaskDecode } from "../compiler/host.js";
import { nodeHost } from "../compiler/node-host.js";
import type { MaskImage } from "../compiler/plan/image-mask.js";

/**
 * Guide images decoded at compile time, so that a file whose header and checksums are fine but
 * whose pixel data is corrupt is an S3004 on its `guide` line from `scenec check`, not a failure
 * after the model is loaded. The compiler is synchronous and sharp is not: the compiler asks the
 * host (`decodeProblem`) and gets what was decoded before, and `compile` runs the compiler again
 * when a guide it had not seen turns out not to decode. Mask images are decoded the same way, for
 * their pixels (`decodeMask`): the compile that meets a new one is run again with them, so that
 * coverage and dominance see the mask. Each image is decoded once per content hash; watch mode
 * keeps one GuideDecoder for the session, so a round decodes only changed images.
 */
export class GuideDecoder {
  /** sha256 → why the image does not decode, or null when it decodes. */
  private readonly verdicts = new Map<string, string | null>();
  /** Images the compiler asked about that have not been decoded yet, by sha256. */
  private readonly queued = new Map<string, ImageToDecode>();
  /** Mask images by sha256: their pixels, or why they do not decode. */
  private readonly masks = new Map<string, MaskDecode>();
  private readonly queuedMasks = new Map<string, ImageToDecode>();
  /** The decoding in progress: one image at a time, whoever asked. */
  private decoding: Promise<unknown> = Promise.resolve();

  /** `base` with `decodeProblem` answered from the images decoded so far; unknown ones are queued. */
  host(base: CompilerHost): CompilerHost {
    return {
      ...base,
      decodeProblem: (image) => {
        const verdict = this.verdicts.get(image.sha256);
        if (verdict === undefined) this.queued.set(image.sha256, image);
        return verdict ?? undefined;
      },
      decodeMask: (image) => {
        const decoded = this.masks.get(image.sha256);
        if (!decoded) this.queuedMasks.set(image.sha256, image);
        return decoded;
      },
    };
  }

  /** The mask images decoded so far, by sha256 (for the layout view of a plan compiled here). */
  maskImages(): Map<string, MaskImage> {
    const images = new Map<string, MaskImage>();
    for (const [sha256, decoded] of this.masks) if (decoded.ok) images.set(sha256, decoded.image);
    return images;
  }

  /**
   * Decodes the queued images; true when a compile now says more: one of them does not decode
   * (it reports that), or a mask's pixels are new (its checks see them).
   */
  decodeQueued(): Promise<boolean> {
    const images = [...this.queued.values()];
    const masks = [...this.queuedMasks.values()];
    this.queued.clear();
    this.queuedMasks.clear();
    // One at a time, after any earlier call (watch rounds can overlap): libvips reports decoding
    // errors through state its threads share, and two corrupt images decoded at once can each
    // get the other's message, or pass.
    const done = this.decoding.then(async () => {
      const failed = await this.decodeEach(images);
      return (await this.decodeMasks(masks)) || failed;
    });
    this.decoding = done.catch(() => undefined);
    return done;
  }

  private async decodeEach(images: readonly ImageToDecode[]): Promise<boolean> {
    let failed = false;
    for (const image of images) {
      // An earlier call may have decoded it since it was queued.
      let verdict = this.verdicts.get(image.sha256);
      if (verdict === undefined) {
        verdict = (await decodeProblem(image)) ?? null;
        this.verdicts.set(image.sha256, verdict);
      }
      failed ||= verdict !== null;
    }
    return failed;
  }

  /** Decodes each mask not decoded yet; true when there was one. */
  private async decodeMasks(images: readonly ImageToDecode[]): Promise<boolean> {
    if (images.length === 0) return false;
    let decodedAny = false;
    // Loaded when needed, as sharp is for guides: most compiles decode nothing.
    const { decodeMaskImage } = await import("../runtime/guides/mask-image.js");
    for (const image of images) {
      if (this.masks.has(image.sha256)) continue;
      this.masks.set(
        image.sha256,
        await decodeMaskImage(image.bytes, image.pixels).then(
          (decoded): MaskDecode => ({ ok: true, image: decoded }),
          (error: unknown): MaskDecode => ({ ok: false, problem: decodeFailure(error) }),
        ),
      );
      decodedAny = true;
    }
    return decodedAny;
  }

  /** Why `image` does not decode, or undefined when it does: for a saved plan's guides, which are not compiled. */
  async problemOf(image: ImageToDecode): Promise<string | undefined> {
    this.queued.set(image.sha256, image);
    await this.decodeQueued();
    return this.verdicts.get(image.sha256) ?? undefined;
  }

  /**
   * Compiles with `compileWith` (given the host to use), decodes the guides it met for the first
   * time, and compiles again when one of them does not decode, so that its S3004 comes from the
   * compiler like any other diagnostic (sorted, with its code frame, and no plan).
   */
  async compile(compileWith: (host: CompilerHost) => CompileResult, base: CompilerHost = nodeHost): Promise<CompileResult> {
    const host = this.host(base);
    const result = compileWith(host);
    return (await this.decodeQueued()) ? compileWith(host) : result;
  }
}

/**
 * Decodes every pixel at full size with the render's decoder and pixel limit, failing on the
 * decoder's warnings as sharp does by default. Full size, because a resize reads only the rows it
 * needs and can miss damage in the last ones; one channel, to hold one byte a pixel (bounded by
 * the pixel limit) for as long as the decode takes. `stats` would hold less but takes 5 times longer.
 */
async function decodeProblem(image: ImageToDecode): Promise<string | undefined> {
  const { default: sharp } = await import("sharp");
  try {
    await sharp(image.bytes, { limitInputPixels: Math.max(image.pixels, 1) }).extractChannel(0).raw().toBuffer();
    return undefined;
  } catch (error) {
    return decodeFailure(error);
  }
}

function decodeFailure(error: unknown): string {
  // `VipsJpeg: Corrupt JPEG data: bad Huffman code` → `Corrupt JPEG data: bad Huffman code`.
  const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0]!.replace(/^vips\w*: /i, "").replace(/:\s*$/, "");
  return `its pixel data does not decode (${reason || "the decoder gave no reason"})`;
}
