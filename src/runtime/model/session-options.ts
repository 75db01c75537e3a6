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

export const SESSION_TUNING: SessionTuning = {
  intraOpThreads: 0,
  graphOptimizationLevel: "all",
  enableCpuMemArena: true,
  enableMemPattern: true,
  allowSpinning: true,
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
