/** `edgefax render|codec`: the offline tools, bundled into dist/tools by `npm run sdk:build`. */
import { existsSync } from "node:fs";
import { EXIT } from "./exit-codes.js";

export async function runTool(tool: "render" | "codec", args: string[]): Promise<number> {
  const bundle = new URL(`../tools/${tool}.js`, import.meta.url);
  if (!existsSync(bundle)) {
    console.error(`edgefax ${tool}: this build has no offline tools (dist/tools/${tool}.js); build the package with npm run sdk:build`);
    return EXIT.usage;
  }
  const { main } = (await import(bundle.href)) as { main: (argv: string[]) => Promise<number> };
  return main(args);
}
