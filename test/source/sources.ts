// The TypeScript sources (.ts and the portal's .tsx) under a folder, for the catalog tests that check what src/ names.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.tsx?$/.test(path) ? [path] : [];
  });
}
