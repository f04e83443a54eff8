// `moat tar rootfs-upper --file F ID` (runsc's command): the container's rootfs upper layer
// (record.overlay, core/container/filestore.ts) as an OCI layer tar.
import type { RuntimeContext } from "../container/context.ts";
import { RuntimeError } from "../state/errors.ts";
import { lgetxattr } from "../../ffi/xattr.ts";
import { type TarFs, writeUpperTar } from "./layer_tar.ts";

const realFs: TarFs = {
  lstat: (p) => Deno.lstatSync(p),
  readDir: (p) => [...Deno.readDirSync(p)].map((e) => e.name),
  readLink: (p) => Deno.readLinkSync(p),
  xattr: lgetxattr,
  open: (p) => Deno.openSync(p, { read: true }),
};

/** Writes the tar to `file`; the number of entries. */
export function tarRootfsUpper(ctx: RuntimeContext, idOrPrefix: string, file: string): number {
  const id = ctx.store.lookup(idOrPrefix);
  const r = ctx.store.read(id);
  const layer = r.overlay?.layers.find((l) => l.destination === "/");
  if (!layer) {
    throw new RuntimeError(`container ${id} has no rootfs overlay (its --overlay2 is none)`);
  }
  const out = Deno.openSync(file, { write: true, create: true, truncate: true, mode: 0o644 });
  try {
    return writeUpperTar(layer.upper, out, realFs);
  } catch (e) {
    try {
      Deno.removeSync(file);
    } catch { /* gone */ }
    throw e;
  } finally {
    out.close();
  }
}
