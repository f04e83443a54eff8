// Builds a minimal rootfs from Debian's busybox-static: the default bundle of the demo and the
// rootfs every integration test shares.
const BUSYBOX = "/bin/busybox";

/** Builds (once) a rootfs with busybox-static and a symlink per applet at its usual path. */
export function busyboxRootfsAt(rootfs: string): string {
  try {
    Deno.statSync(`${rootfs}.complete`);
    return rootfs;
  } catch { /* build it */ }
  return buildRootfs(rootfs);
}

function buildRootfs(rootfs: string): string {
  try {
    Deno.removeSync(rootfs, { recursive: true });
  } catch { /* fresh */ }
  for (
    const d of [
      "bin",
      "sbin",
      "usr/bin",
      "usr/sbin",
      "etc",
      "proc",
      "sys",
      "dev",
      "tmp",
      "root",
      "run",
      "var",
    ]
  ) {
    Deno.mkdirSync(`${rootfs}/${d}`, { recursive: true });
  }
  Deno.chmodSync(`${rootfs}/tmp`, 0o1777);
  Deno.copyFileSync(BUSYBOX, `${rootfs}/bin/busybox`);
  Deno.chmodSync(`${rootfs}/bin/busybox`, 0o755);
  const list = new Deno.Command(BUSYBOX, { args: ["--list-full"], stdout: "piped" }).outputSync();
  for (const applet of new TextDecoder().decode(list.stdout).split("\n")) {
    if (!applet || applet === "bin/busybox") continue;
    try {
      Deno.symlinkSync("/bin/busybox", `${rootfs}/${applet}`);
    } catch { /* duplicate applet path */ }
  }
  Deno.writeTextFileSync(
    `${rootfs}/etc/passwd`,
    "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  );
  Deno.writeTextFileSync(
    `${rootfs}/etc/group`,
    "root:x:0:\ndaemon:x:1:\ntty:x:5:\nnogroup:x:65534:\n",
  );
  Deno.writeTextFileSync(`${rootfs}/etc/hostname`, "busybox\n");
  Deno.writeTextFileSync(`${rootfs}/etc/hosts`, "127.0.0.1 localhost\n");
  Deno.writeTextFileSync(`${rootfs}/etc/resolv.conf`, "");
  Deno.writeTextFileSync(`${rootfs}.complete`, "");
  return rootfs;
}
