// lgetxattr(2) for the overlay's opaque directories (core/overlay/layer_tar.ts).
const lib = () =>
  Deno.dlopen("libc.so.6", {
    lgetxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  }).symbols;
let symbols: ReturnType<typeof lib> | undefined;

/** The value of an extended attribute (not following a symlink), or undefined when unset. */
export function lgetxattr(path: string, name: string): string | undefined {
  symbols ??= lib();
  const enc = new TextEncoder();
  const buf = new Uint8Array(256);
  const n = Number(
    symbols.lgetxattr(enc.encode(path + "\0"), enc.encode(name + "\0"), buf, BigInt(buf.length)),
  );
  return n < 0 ? undefined : new TextDecoder().decode(buf.subarray(0, n));
}
