import { NOISE_GENERATORS, type NoiseGenerator } from "../compiler/plan/plan.js";
import { DEVICE_REQUESTS, type DeviceRequest } from "../runtime/model/device-request.js";
import type { OptionValues } from "./command.js";
import { UsageError } from "./errors.js";
import { MEMORY_SIZE_HELP, parseMemorySize } from "./memory-size.js";

/** The options `render` and `watch` share: how to render, whatever starts the render. */
export const RENDER_OPTIONS = {
  output: { type: "string", short: "o" },
  steps: { type: "string" },
  seed: { type: "string" },
  noise: { type: "string" },
  device: { type: "string" },
  verbose: { type: "boolean" },
  batch: { type: "string" },
  "decode-memory": { type: "string" },
} as const;

export const RENDER_OPTIONS_HELP = [
  "  -o, --output OUT     where to write the picture: .png (with the scene in its metadata), .jpg,",
  "                       .jpeg or .webp; any folder (created if missing). Default: the scene's",
  "                       `output`, else the scene's name with .png, beside it",
  "  --steps N            denoising steps, overriding the scene's (1 to 1000)",
  "  --seed N             the seed, overriding the scene's (0 to 2^53 - 1)",
  "  --noise G            the initial noise's generator, overriding the scene's: scenec (default),",
  "                       torch (torch.randn on the CPU, as diffusers and ComfyUI draw it) or",
  "                       philox (Automatic1111's NV seeds: its CPU copy of torch's CUDA randn)",
  "  --device D           auto (default: the GPU through WebGPU when an adapter exists, else the",
  "                       CPU), cpu, webgpu, or cuda (needs ONNX Runtime's CUDA provider; see README);",
  "                       scenec.yaml's `device:` sets the default",
  "  --verbose            show ONNX Runtime's and the GPU driver's own messages",
  "  --batch N            evaluate up to N same-size regions per UNet call (default 1)",
  "  --decode-memory SIZE memory the VAE decode may use, such as 4GB (the default) or 512MB: the",
  "                       picture decodes whole when it fits, else in tiles as large as fit;",
  "                       scenec.yaml's `decode-memory:` sets the default",
].join("\n");

export interface RenderSettings {
  output?: string;
  steps?: number;
  seed?: number;
  noise?: NoiseGenerator;
  /** Undefined: scenec.yaml's `device`, else auto. */
  device?: DeviceRequest;
  verbose: boolean;
  batch: number;
  /** `--decode-memory`, bytes. Undefined: scenec.yaml's `decode-memory`, else 4 GiB. */
  decodeMemory?: number;
}

export function integerOption(values: OptionValues, name: string, min: number, max: number, command: string): number | undefined {
  const raw = values[name];
  if (typeof raw !== "string") return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) throw new UsageError(`--${name} needs a whole number from ${min} to ${max}, not \`${raw}\``, command);
  return value;
}

/** The shared options, checked: a bad value is a usage error (exit 2) naming `command`'s help. */
export function renderSettings(values: OptionValues, command: string): RenderSettings {
  const device = values["device"];
  if (typeof device === "string" && !(DEVICE_REQUESTS as readonly string[]).includes(device))
    throw new UsageError(`--device must be ${DEVICE_REQUESTS.slice(0, -1).join(", ")} or ${DEVICE_REQUESTS.at(-1)}, not \`${device}\``, command);
  const steps = integerOption(values, "steps", 1, 1000, command);
  const seed = integerOption(values, "seed", 0, Number.MAX_SAFE_INTEGER, command);
  const noise = values["noise"];
  if (typeof noise === "string" && !(NOISE_GENERATORS as readonly string[]).includes(noise))
    throw new UsageError(`--noise must be ${NOISE_GENERATORS.slice(0, -1).join(", ")} or ${NOISE_GENERATORS.at(-1)}, not \`${noise}\``, command);
  const memory = values["decode-memory"];
  const decodeMemory = typeof memory === "string" ? parseMemorySize(memory) : undefined;
  if (typeof memory === "string" && decodeMemory === undefined) throw new UsageError(`--decode-memory needs ${MEMORY_SIZE_HELP}, not \`${memory}\``, command);
  return {
    ...(typeof values["output"] === "string" ? { output: values["output"] } : {}),
    ...(steps !== undefined ? { steps } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(typeof noise === "string" ? { noise: noise as NoiseGenerator } : {}),
    ...(typeof device === "string" ? { device: device as DeviceRequest } : {}),
    verbose: values["verbose"] === true,
    batch: integerOption(values, "batch", 1, 1024, command) ?? 1,
    ...(decodeMemory !== undefined ? { decodeMemory } : {}),
  };
}
