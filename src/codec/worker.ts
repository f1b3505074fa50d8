/**
 * workerd entry: wrangler's CompiledWasm rule turns this import into a compiled WebAssembly.Module (workerd does
 * not allow compiling WASM from bytes at run time). Import this module once before using the codec in a Worker.
 */
import codecModule from "../../wasm/build/codec.wasm";
import { initCodec } from "./engine.js";

initCodec(codecModule);

export * from "./index.js";
