// umount2(2) for the overlay's memory media (core/container/filestore.ts): Deno has no binding.
import { openLibc } from "./libc.ts";

const SYS_UMOUNT2 = 166n; // x86_64
const MNT_DETACH = 2n;
const EINVAL = 22;
const ENOENT = 2;

/**
 * Lazily unmounts `path` (MNT_DETACH: the memory goes once nothing uses it). False when nothing
 * was mounted there; throws on other errors.
 */
export function umountDetach(path: string): boolean {
  const c = openLibc();
  const buf = new TextEncoder().encode(path + "\0");
  const ptr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
  const r = c.syscall(SYS_UMOUNT2, ptr, MNT_DETACH, 0n, 0n);
  if (r === 0n) return true;
  const p = c.__errno_location();
  const e = p ? new Deno.UnsafePointerView(p).getInt32() : 0;
  if (e === EINVAL || e === ENOENT) return false;
  throw new Error(`umount ${path}: errno ${e}`);
}
