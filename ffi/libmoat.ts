// The only module that binds libmoat. Its bytes are part of the module graph (so `deno bundle`
// and `deno compile` carry them) and are loaded from a sealed memfd, never from a path on disk.
import libBytes from "../sentry/build/libmoat.so" with { type: "bytes" };
import { sealedMemfd } from "./libc.ts";

const symbols = {
  moat_sentry_memfd: { parameters: [], result: "i32" },
  moat_sentry_size: { parameters: [], result: "u64" },
  moat_plan_check: { parameters: ["buffer", "u64", "buffer", "u64"], result: "i32" },
  moat_version: { parameters: [], result: "pointer" },
} as const;

export interface Libmoat {
  /** A sealed memfd holding the sentry program, to be executed as /proc/self/fd/N. */
  sentryMemfd(): number;
  sentrySize(): number;
  /** Runs the C plan decoder; returns null when the plan is valid, else its error text. */
  planCheck(plan: Uint8Array): string | null;
  version(): string;
}

let loaded: Libmoat | undefined;

export function loadLibmoat(): Libmoat {
  if (loaded) return loaded;
  const fd = sealedMemfd("libmoat.so", libBytes);
  const lib = Deno.dlopen(`/proc/self/fd/${fd}`, symbols);
  const s = lib.symbols;
  loaded = {
    sentryMemfd() {
      const r = s.moat_sentry_memfd();
      if (r < 0) throw new Error(`cannot create the sentry memfd: errno ${-r}`);
      return r;
    },
    sentrySize: () => Number(s.moat_sentry_size()),
    planCheck(plan) {
      const err = new Uint8Array(512);
      if (s.moat_plan_check(plan, BigInt(plan.length), err, BigInt(err.length)) === 0) return null;
      const end = err.indexOf(0);
      return new TextDecoder().decode(err.subarray(0, end < 0 ? err.length : end));
    },
    version() {
      const p = s.moat_version();
      return p ? new Deno.UnsafePointerView(p).getCString() : "unknown";
    },
  };
  return loaded;
}
