/** A model folder that cannot be used: names the file and what was expected (the CLI exits 2). */
export class ModelError extends Error {
  constructor(
    message: string,
    /** The offending file, relative to the model folder, when there is one. */
    readonly file?: string,
  ) {
    super(message);
    this.name = "ModelError";
  }
}
