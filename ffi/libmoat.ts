// The only module that binds libmoat. Its bytes are part of the module graph (so `deno bundle`
// and `deno compile` carry them) and are loaded from a sealed memfd, never from a path on disk.
import libBytes from "../sentry/build/libmoat.so" with { type: "bytes" };
import { sealedMemfd } from "./libc.ts";
import type { SeccompCompiler } from "../core/seccomp/compiler.ts";

const symbols = {
  moat_sentry_memfd: { parameters: [], result: "i32" },
  moat_sentry_size: { parameters: [], result: "u64" },
  moat_sentry_adopt: { parameters: ["i32"], result: "i32" },
  moat_plan_check: { parameters: ["buffer", "u64", "buffer", "u64"], result: "i32" },
  moat_version: { parameters: [], result: "pointer" },
  moat_seccomp_compile: {
    parameters: ["buffer", "u64", "buffer", "u64", "buffer", "u64"],
    result: "i32",
  },
  moat_seccomp_version: { parameters: [], result: "pointer" },
  moat_bpf_cgroup_device_attach: {
    parameters: ["buffer", "buffer", "u64", "buffer", "u64"],
    result: "i32",
  },
  moat_bpf_cgroup_sock_addr_attach: {
    parameters: ["buffer", "u32", "buffer", "u64", "buffer", "u64"],
    result: "i32",
  },
} as const;

export interface Libmoat {
  /** A sealed memfd holding the sentry program, to be executed as /proc/self/fd/N. */
  sentryMemfd(): number;
  sentrySize(): number;
  /** The sealed memfd running sentry `pid` was started from, if it is our image; else -errno. */
  sentryAdopt(pid: number): number;
  /** Runs the C plan decoder; returns null when the plan is valid, else its error text. */
  planCheck(plan: Uint8Array): string | null;
  version(): string;
  /** Loads a cgroup device program and attaches it to a cgroup2 dir: prog fd or -errno. */
  bpfCgroupDeviceAttach(dir: string, insns: Uint8Array): { fd: number; log: string };
  /** The same for a sock_addr program at one connect/sendmsg hook. */
  bpfCgroupSockAddrAttach(
    dir: string,
    hook: number,
    insns: Uint8Array,
  ): { fd: number; log: string };
  /** libseccomp (linked into libmoat): encoded rule list → BPF (core/seccomp/encode.ts). */
  seccompCompile(rules: Uint8Array): { bpf: Uint8Array; skipped: string[] };
  seccompVersion(): string;
}

let loaded: Libmoat | undefined;

export function loadLibmoat(): Libmoat {
  if (loaded) return loaded;
  const fd = sealedMemfd("libmoat.so", libBytes);
  const lib = Deno.dlopen(`/proc/self/fd/${fd}`, symbols);
  const s = lib.symbols;
  loaded = {
    bpfCgroupDeviceAttach(dir, insns) {
      const log = new Uint8Array(4096);
      const path = new TextEncoder().encode(dir + "\0");
      const r = s.moat_bpf_cgroup_device_attach(path, insns, BigInt(insns.length), log, 4096n);
      const end = log.indexOf(0);
      return { fd: r, log: new TextDecoder().decode(log.subarray(0, end < 0 ? log.length : end)) };
    },
    bpfCgroupSockAddrAttach(dir, hook, insns) {
      const log = new Uint8Array(4096);
      const path = new TextEncoder().encode(dir + "\0");
      const r = s.moat_bpf_cgroup_sock_addr_attach(
        path,
        hook,
        insns,
        BigInt(insns.length),
        log,
        4096n,
      );
      const end = log.indexOf(0);
      return { fd: r, log: new TextDecoder().decode(log.subarray(0, end < 0 ? log.length : end)) };
    },
    sentryMemfd() {
      const r = s.moat_sentry_memfd();
      if (r < 0) throw new Error(`cannot create the sentry memfd: errno ${-r}`);
      return r;
    },
    sentrySize: () => Number(s.moat_sentry_size()),
    sentryAdopt: (pid) => s.moat_sentry_adopt(pid),
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
    seccompCompile(rules) {
      const out = new Uint8Array(1 << 20);
      const err = new Uint8Array(2048);
      const n = s.moat_seccomp_compile(
        rules,
        BigInt(rules.length),
        out,
        BigInt(out.length),
        err,
        BigInt(err.length),
      );
      const end = err.indexOf(0);
      const text = new TextDecoder().decode(err.subarray(0, end < 0 ? err.length : end));
      if (n < 0) throw new Error(text || "seccomp: compile failed");
      const skipped = text.startsWith("skipped: ") ? text.slice(9).split(",") : [];
      return { bpf: out.slice(0, n), skipped };
    },
    seccompVersion() {
      const p = s.moat_seccomp_version();
      return p ? new Deno.UnsafePointerView(p).getCString() : "unknown";
    },
  };
  return loaded;
}

/** The SeccompCompiler core/ is given (core/container/context.ts). */
export function seccompCompiler(): SeccompCompiler {
  const lib = loadLibmoat();
  return {
    version: `${lib.version()} libseccomp ${lib.seccompVersion()}`,
    compile: (rules) => lib.seccompCompile(rules),
  };
}
