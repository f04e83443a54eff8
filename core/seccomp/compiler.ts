// The seccomp compiler as core/ sees it: implemented by ffi/libmoat.ts (libseccomp linked into
// libmoat) and injected through the RuntimeContext, so core/ never calls FFI itself.

export interface CompiledFilter {
  /** struct sock_filter[]: 8 bytes per instruction. */
  bpf: Uint8Array;
  /** Syscall names libseccomp does not know on this host, skipped as runc does. */
  skipped: string[];
}

export interface SeccompCompiler {
  /** Compiles an encoded rule list (core/seccomp/encode.ts); throws with libseccomp's reason. */
  compile(rules: Uint8Array): CompiledFilter;
  /** Identifies the compiler (libmoat + libseccomp versions): part of the cache key. */
  readonly version: string;
}

/** The kernel's BPF_MAXINSNS: a longer program is refused by seccomp(2). */
export const BPF_MAX_INSNS = 4096;
