/**
 * `edgefax render|codec`: the repository's offline tools, bundled into dist/tools/cli by sdk/scripts/build-tools.mjs.
 * Each bundle is the tool's own CLI, which reads process.argv and exits with its own status.
 */
import { existsSync } from "node:fs";
import { EXIT } from "./exit-codes.js";

export async function runTool(tool: "render" | "codec", args: string[]): Promise<number> {
  const bundle = new URL(`../tools/cli/${tool}.js`, import.meta.url);
  if (!existsSync(bundle)) {
    console.error(`edgefax ${tool}: this build has no offline tools (dist/tools/cli/${tool}.js); build the package with npm run sdk:build`);
    return EXIT.usage;
  }
  process.argv = [process.argv[0]!, tool, ...args];
  await import(bundle.href);
  return EXIT.ok;
}
