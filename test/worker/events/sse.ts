/** Reads a text/event-stream response frame by frame (HTML Living Standard §9.2.6 "Interpreting an event stream"). */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";
  ended = false;
  readonly frames: SseFrame[] = [];

  constructor(response: Response) {
    this.reader = response.body!.getReader();
  }

  /** Reads until `done(frames)` holds or the stream ends; throws after `timeoutMs`. */
  async until(done: (frames: SseFrame[]) => boolean, timeoutMs = 15_000): Promise<SseFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.frames) && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no more frames within ${timeoutMs} ms; got ${JSON.stringify(this.frames.map((f) => f.event ?? f.comment))}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), left)));
      const chunk = await Promise.race([this.reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === "timeout") continue;
      if (chunk.done) {
        this.ended = true;
        break;
      }
      this.buffer += this.decoder.decode(chunk.value, { stream: true });
      let at: number;
      while ((at = this.buffer.indexOf("\n\n")) >= 0) {
        const block = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 2);
        for (const frame of parseBlock(block)) this.frames.push(frame);
      }
    }
    return this.frames;
  }

  /** Event frames only (no heartbeats or the retry line). */
  events(): (SseFrame & { id: string; event: string; data: string })[] {
    return this.frames.filter((f): f is SseFrame & { id: string; event: string; data: string } => f.data !== undefined);
  }

  /** Drops the connection, as a client that lost its network would. */
  async drop(): Promise<void> {
    await this.reader.cancel();
  }
}

function parseBlock(block: string): SseFrame[] {
  const frame: SseFrame = {};
  const comments: SseFrame[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) comments.push({ comment: line.slice(1).trim() });
    else {
      const colon = line.indexOf(":");
      const field = line.slice(0, colon) as keyof SseFrame;
      frame[field] = line.slice(colon + 1).replace(/^ /, "");
    }
  }
  return Object.keys(frame).length > 0 ? [...comments, frame] : comments;
}
