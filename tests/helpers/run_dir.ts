// A short directory for unix sockets and engine runtime state: a socket path must fit in
// sun_path (108 bytes) and containerd's shim sockets and runtime root grow from its state dir,
// so they cannot live under tests/.work of a checkout cloned deep. One per checkout
// (/run/moat-e2e-<hash of the checkout path>): two clones never share it. Made on first use,
// removed by removeRunDir() when the last user is done.
import { WORK } from "./bundle.ts";

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (const c of new TextEncoder().encode(s)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

export const RUN_DIR = `/run/moat-e2e-${fnv1a(WORK)}`;

/** `${RUN_DIR}/${name}` (made, mode 0700); `name` may be "" for the run dir itself. */
export function runDir(name = ""): string {
  const dir = name ? `${RUN_DIR}/${name}` : RUN_DIR;
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Removes `${RUN_DIR}/${name}` (unless something is still mounted there), and the run dir once it is empty. */
export function removeRunDir(name: string): void {
  const dir = `${RUN_DIR}/${name}`;
  const mounted = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .some((l) => l.split(" ")[4]?.startsWith(`${dir}/`));
  if (mounted) return; // a leftover mount: never delete through it
  try {
    Deno.removeSync(`${RUN_DIR}/${name}`, { recursive: true });
  } catch { /* gone */ }
  try {
    Deno.removeSync(RUN_DIR); // fails while another part still uses it
  } catch { /* not empty, or gone */ }
}

/** A socket path in the run dir; removed with its parent by removeRunDir("sockets"). */
export function socketPath(name: string): string {
  return `${runDir("sockets")}/${name}`;
}

// the sockets' dir goes when the test program ends (each test removes its own socket before)
globalThis.addEventListener("unload", () => removeRunDir("sockets"));
