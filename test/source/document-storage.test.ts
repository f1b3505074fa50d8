// One door to R2 (issue 17 point 4): src/storage/documents.ts encrypts what it writes and decrypts what it
// reads, so no other code in src/ may touch the DOCUMENTS binding: a direct put would store plaintext, and a
// direct get would hand out ciphertext.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const STORAGE = join("src", "storage", "documents.ts");
function codeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? codeFiles(path) : /\.tsx?$/.test(path) ? [path] : [];
  });
}

/** Each use of the binding in `code`: `DOCUMENTS.get`, `DOCUMENTS` passed on or destructured, `["DOCUMENTS"]`. Type names in quotes are not uses. */
function uses(code: string): string[] {
  const named = [...code.matchAll(/(?<!["'`])\bDOCUMENTS\b(?!["'`])(\s*\.\s*\w+)?/g)].map((m) => m[0].replace(/\s+/g, ""));
  const indexed = [...code.matchAll(/\[\s*["'`]DOCUMENTS["'`]\s*\]/g)].map(() => '["DOCUMENTS"]');
  return [...named, ...indexed];
}

describe("R2 is reached only through src/storage/documents.ts", () => {
  it("no other file in src/ reads, writes, lists or deletes the DOCUMENTS binding, or passes it on", () => {
    const offenders = codeFiles("src")
      .filter((file) => file !== STORAGE && !file.endsWith(".d.ts"))
      .flatMap((file) => uses(readFileSync(file, "utf8")).map((use) => `${file}: ${use}`));
    expect(offenders).toEqual([]);
  });

  it("the check sees each kind of access, and not the binding's name in a type", () => {
    expect(uses("await env.DOCUMENTS.put(key, pdf);")).toEqual(["DOCUMENTS.put"]);
    expect(uses("await c.env.DOCUMENTS\n  .get(key)")).toEqual(["DOCUMENTS.get"]);
    expect(uses("deleteFaxFiles(env.DOCUMENTS, key)")).toEqual(["DOCUMENTS"]);
    expect(uses("const { DOCUMENTS: bucket } = env;")).toEqual(["DOCUMENTS"]);
    expect(uses('env["DOCUMENTS"].list()')).toEqual(['["DOCUMENTS"]']);
    expect(uses('env: Pick<Env, "DB" | "DOCUMENTS">')).toEqual([]);
    expect(uses(readFileSync(STORAGE, "utf8"))).toContain("DOCUMENTS");
  });
});
