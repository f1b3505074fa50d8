// wrangler's CompiledWasm rule (and workerd) import a .wasm file as an already compiled module.
declare module "*/codec.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
