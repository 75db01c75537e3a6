/** A PNG `scenec import` cannot turn into a scene; the message follows "PNG: " and says what was found. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}
