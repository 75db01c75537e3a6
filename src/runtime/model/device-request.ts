/** The devices `--device` and scenec.yaml's `device:` name (chosen in device.ts). Apart, so that parsing options loads no ONNX Runtime. */
export const DEVICE_REQUESTS = ["auto", "cpu", "webgpu", "cuda"] as const;
export type DeviceRequest = (typeof DEVICE_REQUESTS)[number];
export type Device = Exclude<DeviceRequest, "auto">;
