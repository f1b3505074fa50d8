/**
 * Runs our T.30 engine against spandsp 0.0.6's t38_terminal in virtual time: the C program
 * spandsp-lockstep.c (built here with gcc, -lspandsp -ltiff) takes IFP packets (PER, encoded by
 * the transport's src/gateway/t38/ifp.ts) and "advance N samples" records on stdin, and answers
 * with the IFP packets spandsp sends. Our side runs on a FakeClock advanced by the same steps.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeIfp, encodeIfp } from "../../../src/gateway/t38/ifp.js";
import type { IfpPacket, T38Port } from "../../../src/gateway/t38/ifp-types.js";
import { loadCodecCoder } from "../../../src/gateway/t30/page-coding.js";
import { FakeClock, startT30Session, type T30Options, type T30Outcome } from "../../../src/gateway/t30/index.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Builds the harness once per process into a temporary directory; null when gcc or spandsp is missing. */
let built: string | null | undefined;
export function buildLockstep(): string | null {
  if (built !== undefined) return built;
  const src = join(here, "spandsp-lockstep.c");
  const out = join(mkdtempSync(join(tmpdir(), "t30-lockstep-")), "spandsp-lockstep");
  const r = spawnSync("gcc", ["-O1", "-o", out, src, "-lspandsp", "-ltiff", "-lm"], { encoding: "utf8" });
  built = r.status === 0 && existsSync(out) && statSync(out).size > 0 ? out : null;
  return built;
}

export interface LockstepRun {
  ours: T30Outcome;
  spandsp: { ok: boolean; code: number; pages: number; rate: number; ecm: boolean; encoding: number; text: string };
  /** Every IFP packet in order, with who sent it ("us" or "them"). */
  trace: { from: "us" | "them"; packet: IfpPacket; raw?: string }[];
  log: string;
}

export async function runLockstep(opts: {
  spandspArgs: string[];
  ours: Omit<T30Options, "port" | "clock">;
  /** Virtual seconds before giving up. */
  maxSeconds?: number;
  /** Return false to lose a packet on its way ("us" = sent by our engine). */
  filter?: (packet: IfpPacket, from: "us" | "them") => boolean;
}): Promise<LockstepRun> {
  const bin = buildLockstep();
  if (!bin) throw new Error("cannot build spandsp-lockstep (gcc and libspandsp-dev needed)");
  const child = spawn(bin, opts.spandspArgs, { stdio: ["pipe", "pipe", "pipe"] });
  let log = "";
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  const trace: LockstepRun["trace"] = [];

  let handler: ((p: IfpPacket) => void) | null = null;
  const port: T38Port = {
    send(packet) {
      trace.push({ from: "us", packet });
      if (opts.filter && !opts.filter(packet, "us")) return;
      const bytes = encodeIfp(packet, { version: 2 });
      child.stdin.write(Buffer.concat([Buffer.from([0x50, bytes.length >> 8, bytes.length & 0xff]), Buffer.from(bytes)]));
    },
    onPacket(h) {
      handler = h;
    },
  };

  // Records from spandsp.
  let pending = Buffer.alloc(0);
  let ackWaiter: ((over: boolean) => void) | null = null;
  let result = "";
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  child.stdout.on("data", (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 3) {
      const len = (pending[1]! << 8) | pending[2]!;
      if (pending.length < 3 + len) break;
      const type = String.fromCharCode(pending[0]!);
      const body = pending.subarray(3, 3 + len);
      pending = pending.subarray(3 + len);
      if (type === "P") {
        const decoded = decodeIfp(new Uint8Array(body), { version: 2 });
        if (decoded.ok) {
          trace.push({ from: "them", packet: decoded.packet, raw: Buffer.from(body).toString("hex") });
          if (!opts.filter || opts.filter(decoded.packet, "them")) handler?.(decoded.packet);
        }
      } else if (type === "A") {
        const w = ackWaiter;
        ackWaiter = null;
        w?.(body[0] === 1);
      } else if (type === "R") {
        result = body.toString();
      }
    }
  });

  const clock = new FakeClock({ autoRun: false });
  const coder = opts.ours.coder ?? (await loadCodecCoder());
  const session = startT30Session({ ...opts.ours, coder, port, clock });
  let oursDone = false;
  let outcome: T30Outcome | null = null;
  void session.outcome.then((o) => {
    oursDone = true;
    outcome = o;
  });
  // Let the session start (it starts once its coder promise settles).
  await new Promise((r) => setImmediate(r));

  const stepMs = 20;
  const maxSteps = ((opts.maxSeconds ?? 300) * 1000) / stepMs;
  let spandspOver = false;
  let afterOurs = 0;
  for (let i = 0; i < maxSteps && !spandspOver; i++) {
    clock.advanceTo(clock.now() + stepMs);
    await new Promise((r) => setImmediate(r));
    spandspOver = await new Promise<boolean>((resolve) => {
      ackWaiter = resolve;
      child.stdin.write(Buffer.from([0x54, 0, 4, 0, 0, (stepMs * 8) >> 8, (stepMs * 8) & 0xff]));
    });
    // Once we are done, give spandsp a few virtual seconds to notice the DCN.
    if (oursDone && ++afterOurs > 500) break;
  }
  child.stdin.end();
  await exited;
  if (!outcome) session.abort("lockstep ended");
  const ours = await session.outcome;
  const fields = Object.fromEntries(
    result
      .replace(/ text=(.*)$/, (_m, t: string) => ` text=${encodeURIComponent(t)}`)
      .split(" ")
      .filter(Boolean)
      .map((kv) => {
        const at = kv.indexOf("=");
        return [kv.slice(0, at), kv.slice(at + 1)];
      }),
  ) as Record<string, string>;
  return {
    ours,
    spandsp: {
      ok: fields.ok === "1",
      code: Number(fields.code ?? -1),
      pages: Number(fields.pages ?? 0),
      rate: Number(fields.rate ?? 0),
      ecm: fields.ecm === "1",
      encoding: Number(fields.encoding ?? 0),
      text: decodeURIComponent(fields.text ?? ""),
    },
    trace,
    log,
  };
}
