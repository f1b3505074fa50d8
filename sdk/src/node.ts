/** The Node entry: everything in index.ts, plus file paths as fax documents (read with fs.openAsBlob, not into memory first). */
import { openAsBlob } from "node:fs";
import { basename } from "node:path";
import { Edgefax as CoreEdgefax } from "./client.js";
import type { PathReader } from "./files.js";
import type { ClientOptions } from "./http.js";

export * from "./index.js";

export const readPath: PathReader = async (path) => ({ data: await openAsBlob(path), filename: basename(path) });

export class Edgefax extends CoreEdgefax {
  constructor(options: ClientOptions = {}) {
    super(options, readPath);
  }
}
