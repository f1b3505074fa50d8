/**
 * ECM's partial pages (T.30 Annex A, T.4 Annex A): the records the sender keeps of the block it is
 * sending and the receiver keeps of the block it is collecting, shared by negotiation.ts (which
 * opens a receiver's record after CFR) and ecm.ts (which fills them).
 */
import { ECM_BLOCK_FRAMES } from "./limits.js";

export interface EcmTxBlock {
  /** FCD payloads of the whole page, 256 octets each (T.38 octet order). */
  frames: Uint8Array[];
  block: number;
  /** Frames of the page in this block: [first, first + count). */
  first: number;
  count: number;
  /** Frames still to send in the next burst (indexes within the block). */
  pending: number[];
  pprCount: number;
  /** Any frame got through since the last CTC (spandsp only continues to correct while it progresses). */
  progress: boolean;
}

export interface EcmRxState {
  page: number;
  block: number;
  frames: Map<number, Uint8Array>;
  blockFrames: number;
  pageData: Uint8Array[];
  lastConfirmed: { page: number; block: number } | null;
  errors: boolean;
}

export function newEcmRx(): EcmRxState {
  return { page: 0, block: 0, frames: new Map(), blockFrames: 0, pageData: [], lastConfirmed: null, errors: false };
}

/** The next block of a page: up to 256 frames from `first` (T.4 A.3), all pending. */
export function newEcmBlock(frames: Uint8Array[], block: number, first: number): EcmTxBlock {
  const count = Math.min(ECM_BLOCK_FRAMES, frames.length - first);
  return { frames, block, first, count, pending: Array.from({ length: count }, (_, i) => i), pprCount: 0, progress: false };
}
