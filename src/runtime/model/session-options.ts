import type ort from "onnxruntime-node";
import type { Providers } from "./device.js";

/** The ONNX Runtime settings scenec chooses for its sessions, by measurement (bench/sd15-size-unet.ts). */
export interface SessionTuning {
  /** Threads per operator; 0 lets ONNX Runtime choose (one per physical core). */
  intraOpThreads: number;
  graphOptimizationLevel: "all" | "extended";
  /** Keep freed buffers for reuse (grows to the largest run's peak and stays there). */
  enableCpuMemArena: boolean;
  /** Plan buffers from the first run's shapes, reused while the input shapes stay the same. */
  enableMemPattern: boolean;
  /** Idle intra-op threads spin waiting for work (faster hand-offs; on a busy machine, CPU taken from others). */
  allowSpinning: boolean;
}

/**
 * Measured on the SD-1.5-size UNet on a shared 2-core CPU (bench/sd15-size-unet.ts, one setting
 * changed at a time from ONNX Runtime's defaults, 512² tiles, 2 and 6 items a call, the second
 * call): without spinning, a 2-item call took 10.7 s of CPU instead of 14.4 (idle threads spinning
 * on a busy machine burn CPU the working ones need), 6 items 31.1 s instead of 33.1; without the
 * memory pattern, the 6-item call peaked at 4.2 GB instead of 4.9 (2 items: 3.7 instead of 3.9)
 * at the same speed. Without the arena the peaks were lower still (3.5 and 3.9 GB), but every
 * call then faults its memory in afresh: the first 6-item call spent 25 s in the kernel, and the
 * second took 44 s of CPU instead of 33. "extended" optimisation ran 6 items 40 % slower than
 * "all"; one thread per operator saved CPU but not time.
 */
export const SESSION_TUNING: SessionTuning = {
  intraOpThreads: 0,
  graphOptimizationLevel: "all",
  enableCpuMemArena: true,
  enableMemPattern: false,
  allowSpinning: false,
};

export function sessionOptions(executionProviders: Providers, tuning: SessionTuning = SESSION_TUNING): ort.InferenceSession.SessionOptions {
  return {
    executionProviders,
    graphOptimizationLevel: tuning.graphOptimizationLevel,
    enableCpuMemArena: tuning.enableCpuMemArena,
    enableMemPattern: tuning.enableMemPattern,
    ...(tuning.intraOpThreads > 0 ? { intraOpNumThreads: tuning.intraOpThreads } : {}),
    ...(tuning.allowSpinning ? {} : { extra: { session: { intra_op: { allow_spinning: "0" } } } }),
    logSeverityLevel: 3,
  };
}
