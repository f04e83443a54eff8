// The few libc calls moat needs without libmoat: the sealed memfd libmoat's bytes go into (no
// code is ever loaded from a writable path, DESIGN §6) and the process calls of ffi/proc.ts.
// libc is in the process already, so opening it costs almost nothing.
const symbols = {
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  // glibc's syscall() is plain assembly that only moves registers: fixed-argument calls are safe
  syscall: { parameters: ["i64", "i64", "i64", "i64", "i64"], result: "i64" },
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  // blocks until a child exits: run on a thread of its own so the event loop goes on
  waitid: { parameters: ["i32", "u32", "buffer", "i32"], result: "i32", nonblocking: true },
} as const;

export type Libc = Deno.DynamicLibrary<typeof symbols>["symbols"];

let libc: Deno.DynamicLibrary<typeof symbols> | undefined;

export function openLibc(): Libc {
  libc ??= Deno.dlopen("libc.so.6", symbols);
  return libc.symbols;
}

export const MFD_CLOEXEC = 0x0001;
export const MFD_ALLOW_SEALING = 0x0002;
export const F_ADD_SEALS = 1033;
export const F_SEAL_SEAL = 0x0001;
export const F_SEAL_SHRINK = 0x0002;
export const F_SEAL_GROW = 0x0004;
export const F_SEAL_WRITE = 0x0008;

/** Writes `bytes` into a new memfd, seals it against every change and returns its fd. */
export function sealedMemfd(name: string, bytes: Uint8Array): number {
  const c = openLibc();
  const fd = c.memfd_create(new TextEncoder().encode(name + "\0"), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) throw new Error(`memfd_create ${name} failed`);
  let off = 0;
  while (off < bytes.length) {
    const n = Number(c.write(fd, bytes.subarray(off), BigInt(bytes.length - off)));
    if (n <= 0) {
      c.close(fd);
      throw new Error(`write to memfd ${name} failed`);
    }
    off += n;
  }
  const seals = F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL;
  if (c.fcntl(fd, F_ADD_SEALS, seals) < 0) {
    c.close(fd);
    throw new Error(`sealing memfd ${name} failed`);
  }
  return fd;
}
