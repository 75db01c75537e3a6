import { ClipTokenizer, type TokenizerFiles } from "../text/clip-tokenizer.js";
import { ModelError } from "./model-error.js";
import type { ModelSource } from "./model-source.js";
import { parsePythonJson } from "./python-json.js";

/** Reading a model folder's text files, with the errors a user can act on. */

export const LAYOUT_HINT = "a model folder needs text_encoder/, unet/, vae_decoder/, tokenizer/ and scheduler/ in the diffusers-ONNX or optimum-ONNX layout (SDXL: text_encoder_2/ and tokenizer_2/ too)";

const decoder = new TextDecoder();

export function readText(source: ModelSource, file: string, required: boolean): string | undefined {
  const bytes = source.read(file);
  if (!bytes) {
    if (required) throw new ModelError(`${source.description}: missing ${file}; ${LAYOUT_HINT}`, file);
    return undefined;
  }
  return decoder.decode(bytes);
}

export function readJson(source: ModelSource, file: string): Record<string, unknown> | undefined {
  const text = readText(source, file, false);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = parsePythonJson(text);
  } catch (error) {
    throw new ModelError(`${source.description}: ${file} is not valid JSON (${firstLine((error as Error).message)}); expected a JSON object`, file);
  }
  if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new ModelError(`${source.description}: ${file} is not a JSON object`, file);
}

/** `folder`'s CLIP tokenizer: vocab.json + merges.txt (older exports), else tokenizer.json alone (what current transformers saves). */
export function loadTokenizer(source: ModelSource, folder: string): ClipTokenizer {
  const vocab = readText(source, `${folder}/vocab.json`, false);
  const merges = readText(source, `${folder}/merges.txt`, false);
  let files: TokenizerFiles;
  if (vocab !== undefined && merges !== undefined) files = { vocab, merges };
  else {
    const tokenizerJson = readText(source, `${folder}/tokenizer.json`, false);
    const missing = vocab === undefined ? `${folder}/vocab.json` : `${folder}/merges.txt`;
    if (tokenizerJson === undefined) throw new ModelError(`${source.description}: missing ${missing} (or ${folder}/tokenizer.json); ${LAYOUT_HINT}`, missing);
    files = { tokenizerJson };
  }
  const specialTokensMap = readText(source, `${folder}/special_tokens_map.json`, false);
  const tokenizerConfig = readText(source, `${folder}/tokenizer_config.json`, false);
  try {
    return ClipTokenizer.fromFiles({ ...files, ...(specialTokensMap !== undefined ? { specialTokensMap } : {}), ...(tokenizerConfig !== undefined ? { tokenizerConfig } : {}) });
  } catch (error) {
    throw new ModelError(`${source.description}: ${folder}/: ${(error as Error).message}`, files.tokenizerJson !== undefined ? `${folder}/tokenizer.json` : `${folder}/vocab.json`);
  }
}

export function firstLine(text: string): string {
  return text.split("\n")[0]!.slice(0, 200);
}
