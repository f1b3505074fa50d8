// The local tests start `npm start` through the one launcher the benchmarks use too (scripts/local-platform.mjs).
export { createKey, freePort, makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from "../../scripts/local-platform.mjs";
