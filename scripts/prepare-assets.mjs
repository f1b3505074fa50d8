// @ts-check
// Copies the API reference's browser bundle from node_modules into public/ so /docs works offline.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";

const root = path.dirname(new URL(import.meta.url).pathname);
const target = path.join(root, "..", "public", "docs", "scalar.js");
// The package's "exports" hide its files from require.resolve, so read it from node_modules directly.
const source = path.join(root, "..", "node_modules", "@scalar", "api-reference", "dist", "browser", "standalone.js");
if (existsSync(source)) {
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(source, target);
  console.log("assets: /docs/scalar.js ready");
} else {
  console.log("assets: @scalar/api-reference not installed; /docs will show no reference");
}
