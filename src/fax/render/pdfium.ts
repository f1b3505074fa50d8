/**
 * PDFium (WebAssembly, `@embedpdf/pdfium`) behind the few calls the render pipeline makes, for both runtimes:
 * workerd hands over the CompiledWasm module (./pdfium-worker.ts), Node reads the file (./pdfium-node.ts).
 *
 * Why the `instantiateWasm` hook in both: it is the one place where we see the module's imports before it
 * runs, and we wrap `emscripten_resize_heap` there so PDFium's heap can never grow past `maxHeapBytes`. A PDF
 * that asks for more (a decompression bomb, a 30 000 × 30 000 image) gets a failed allocation inside PDFium
 * instead of taking the Worker isolate past its 128 MB. PDFium answers some failed allocations by aborting;
 * an aborted Emscripten module is unusable, so any exception from PDFium drops the cached instance and the
 * next document gets a fresh one.
 *
 * API reference: https://pdfium.googlesource.com/pdfium/+/refs/heads/main/public/fpdfview.h
 */
import { init, type WrappedPdfiumModule } from "@embedpdf/pdfium";

/** The Emscripten runtime pieces we use (the package's own typings leave the module untyped). */
export interface PdfiumRuntime {
  HEAPU8: Uint8Array;
  wasmExports: { malloc(size: number): number; free(ptr: number): void };
  addFunction(fn: (...args: number[]) => number, signature: string): number;
  removeFunction(ptr: number): void;
}

export interface Pdfium {
  api: WrappedPdfiumModule;
  runtime: PdfiumRuntime;
  /**
   * A JS function `(pointer) => int` as a function pointer PDFium can call (an entry in its function table),
   * or 0 if this runtime cannot make one.
   */
  addCallback(fn: (arg: number) => number): number;
}

type WasmImports = Record<string, Record<string, unknown>>;
type ReceiveInstance = (instance: WebAssembly.Instance, module?: WebAssembly.Module) => void;

export interface PdfiumSource {
  /** workerd: the module from the CompiledWasm import (run-time compilation is not allowed there). */
  module?: WebAssembly.Module;
  /** Node: the bytes of pdfium.wasm. */
  bytes?: Uint8Array;
  /** Ceiling for PDFium's linear memory. Default 96 MiB. */
  maxHeapBytes?: number;
  /**
   * workerd: ./pause-callback.wasm, compiled by wrangler. For PDFium to call a JS function, the function has to
   * sit in PDFium's function table, and a table only holds WebAssembly functions. Emscripten's `addFunction`
   * wraps a JS function by compiling a tiny module at run time, which workerd forbids ("Wasm code generation
   * disallowed by embedder"). This is that tiny module, compiled ahead of time:
   * `(module (import "e" "f" (func (param i32) (result i32))) (export "f" (func 0)))`: instantiated with our
   * function as its import, its export is a WebAssembly function that calls it, and `addFunction` stores that
   * in the table as it is. Without it (Node), `addFunction` builds the same module itself.
   */
  callbackModule?: WebAssembly.Module;
}

export const DEFAULT_MAX_HEAP_BYTES = 96 * 1024 * 1024;

/** FPDF_GetLastError() codes, fpdfview.h. */
export const FPDF_ERR = { SUCCESS: 0, UNKNOWN: 1, FILE: 2, FORMAT: 3, PASSWORD: 4, SECURITY: 5, PAGE: 6 } as const;

export async function createPdfium(source: PdfiumSource): Promise<Pdfium> {
  const maxHeap = source.maxHeapBytes ?? DEFAULT_MAX_HEAP_BYTES;
  let compiled = source.module;
  const instantiateWasm = (imports: WasmImports, receive: ReceiveInstance): WebAssembly.Exports => {
    const env = imports.env ?? {};
    const grow = env.emscripten_resize_heap as ((requested: number) => boolean) | undefined;
    if (grow) {
      // Emscripten passes the size wanted in bytes; refusing makes malloc return NULL inside PDFium.
      env.emscripten_resize_heap = (requested: number) => (requested >>> 0 > maxHeap ? false : grow(requested));
    }
    if (!compiled) {
      if (!source.bytes) throw new Error("createPdfium needs the compiled module or the bytes of pdfium.wasm");
      // Node only; @cloudflare/workers-types declares the constructor abstract because workerd forbids it.
      const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
      compiled = new Module(source.bytes);
    }
    const instance = new WebAssembly.Instance(compiled, imports as WebAssembly.Imports);
    receive(instance, compiled);
    return instance.exports;
  };
  const api = await init({ instantiateWasm, print: () => {}, printErr: () => {} } as unknown as Parameters<typeof init>[0]);
  api.PDFiumExt_Init();
  const runtime = api.pdfium as unknown as PdfiumRuntime;
  const callbackModule = source.callbackModule;
  const addCallback = (fn: (arg: number) => number): number => {
    try {
      if (!callbackModule) return runtime.addFunction(fn, "ii");
      const wrapped = new WebAssembly.Instance(callbackModule, { e: { f: fn } }).exports.f as unknown as (arg: number) => number;
      return runtime.addFunction(wrapped, "ii");
    } catch {
      return 0;
    }
  };
  return { api, runtime, addCallback };
}

/**
 * One PDFium per isolate or process, created on first use (instantiating costs ~50-250 ms; requests that
 * never render never pay it). `discard` after an exception from inside PDFium.
 */
export class PdfiumHolder {
  private pending: Promise<Pdfium> | null = null;

  constructor(private readonly source: () => PdfiumSource | Promise<PdfiumSource>) {}

  get(): Promise<Pdfium> {
    this.pending ??= Promise.resolve(this.source()).then(createPdfium);
    this.pending.catch(() => {
      this.pending = null;
    });
    return this.pending;
  }

  discard(): void {
    this.pending = null;
  }
}

/** Copies bytes into PDFium's heap; the caller frees the pointer. Returns 0 if the heap cannot hold them. */
export function copyIn(pdfium: Pdfium, bytes: Uint8Array): number {
  const ptr = pdfium.runtime.wasmExports.malloc(Math.max(1, bytes.length));
  if (ptr === 0) return 0;
  // HEAPU8 is replaced when memory grows: read it after the allocation.
  pdfium.runtime.HEAPU8.set(bytes, ptr);
  return ptr;
}

export function heap(pdfium: Pdfium): Uint8Array {
  return pdfium.runtime.HEAPU8;
}
