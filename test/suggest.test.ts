import { describe, expect, it } from "vitest";
import { suggest, suggestionHelp } from "../src/compiler/check/suggest.js";

const SCHEDULERS = ["lms", "euler", "euler_ancestral", "ddim", "dpmpp_2m"];

describe("did you mean", () => {
  it("catches the usual typos", () => {
    expect(suggest("eulr", SCHEDULERS)).toBe("euler");
    expect(suggest("lsm", SCHEDULERS)).toBe("lms"); // two neighbouring letters swapped
    expect(suggest("ddmi", SCHEDULERS)).toBe("ddim");
    expect(suggest("eulr_a", SCHEDULERS)).toBe("euler_ancestral"); // an abbreviation
    expect(suggest("euler_a", SCHEDULERS)).toBe("euler_ancestral"); // another tool's name
    expect(suggest("LMS", SCHEDULERS)).toBe("lms");
    expect(suggest("gausian", ["gaussian", "quartic", "constant"])).toBe("gaussian");
    expect(suggest("karas", ["karras"])).toBe("karras"); // after `scheduler NAME` (parser.ts)
    expect(suggest("karass", ["karras"])).toBe("karras");
  });

  it("stays quiet when nothing is close", () => {
    expect(suggest("banana", SCHEDULERS)).toBeUndefined();
    expect(suggest("x", SCHEDULERS)).toBeUndefined();
    expect(suggest("stpes", ["karras"])).toBeUndefined(); // `scheduler euler stpes 30`: not a misspelt `karras`
    expect(suggestionHelp("banana", ["a", "b"])).toBe("expected one of `a`, `b`");
    expect(suggestionHelp("lsm", SCHEDULERS)).toBe("did you mean `lms`?");
  });
});
