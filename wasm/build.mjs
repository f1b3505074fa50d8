// Builds the AssemblyScript codec into wasm/build/codec.wasm (run by `npm install` via postinstall).
// The codec lands in a following commit; until then there is nothing to build.
console.log("wasm: nothing to build yet");
