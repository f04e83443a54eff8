// The few libc calls needed before libmoat itself is loaded: libmoat's bytes go into a sealed
// memfd so that no code is ever loaded from a writable path (DESIGN §6).
const symbols = {
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
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
