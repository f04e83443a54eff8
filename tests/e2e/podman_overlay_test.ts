// podman with moat's rootfs overlay selected per container by annotation (dev.moat.overlay2):
// the container writes into its upper, podman's layer (diff, mount) does not see it, `moat state`
// says where the upper is, `moat tar rootfs-upper` exports it, and podman rm removes the
// filestore. Without the annotation podman sees the writes as with runc.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, MOAT } from "../helpers/bundle.ts";
import { have, Podman } from "../helpers/engines.ts";
import { IMAGE } from "../helpers/image.ts";
import { mountsMentioning } from "../helpers/moat.ts";

const enabled = isRoot() && have("podman");
const opts = { ignore: !enabled, sanitizeResources: false, sanitizeOps: false };
let pm: Podman;

async function podman() {
  if (!pm) {
    pm = new Podman();
    await pm.setup();
  }
  return pm;
}

/** podman runs moat with its default state root (rootful podman passes none). */
const STATE_ROOT = "/run/moat";

async function moatState(id: string) {
  const out = await new Deno.Command(MOAT, {
    args: ["--root", STATE_ROOT, "state", id],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "podman: --annotation dev.moat.overlay2=root:memory, run --rm; size= by --runtime-flag",
  ...opts,
  async fn() {
    const p = await podman();
    const r = await p.podman([
      "run",
      "--rm",
      "--network",
      "none",
      "--annotation",
      "dev.moat.overlay2=root:memory",
      IMAGE,
      "sh",
      "-c",
      "echo x > /etc/w; cat /etc/w; rm /bin/ls; ls /bin/ls 2>/dev/null || echo gone; grep -c '^overlay / overlay' /proc/mounts",
    ]);
    assertEquals(r.stdout, "x\ngone\n1\n", r.stderr);
    assertEquals(r.code, 0);
    // podman 4.3 splits --annotation values at commas: a size goes in moat's global flag
    const sized = await p.podman([
      "--runtime-flag",
      "overlay2=root:memory,size=16m",
      "run",
      "--rm",
      "--network",
      "none",
      IMAGE,
      "sh",
      "-c",
      "dd if=/dev/zero of=/big bs=1048576 count=32 2>&1 | grep -c 'No space left'",
    ]);
    assertEquals(sized.stdout, "1\n", sized.stderr);
    assertEquals(mountsMentioning(`${STATE_ROOT}/`).filter((l) => l.includes("/overlay/root")), []);
  },
});

Deno.test({
  name: "podman: root:self keeps writes out of podman's layer; state, tar rootfs-upper; rm cleans",
  ...opts,
  async fn() {
    const p = await podman();
    const d = await p.podman([
      "run",
      "-d",
      "--network",
      "none",
      "--annotation",
      "dev.moat.overlay2=root:self",
      IMAGE,
      "sh",
      "-c",
      "rm /bin/ls; echo w > /written; trap 'exit 0' TERM; while :; do sleep 0.1; done",
    ]);
    assertEquals(d.code, 0, d.stderr);
    const id = d.stdout.trim();
    try {
      const e = await p.podman([
        "exec",
        id,
        "sh",
        "-c",
        "while [ ! -e /written ]; do sleep 0.05; done; cat /written; ls /bin/ls 2>&1 | grep -c 'No such'",
      ]);
      assertEquals(e.stdout, "w\n1\n", e.stderr);
      // podman's own layer and mount do not have the write
      const diff = await p.podman(["diff", id]);
      assertEquals(diff.code, 0, diff.stderr);
      assert(!diff.stdout.includes("/written"), diff.stdout);
      const mnt = (await p.podman(["mount", id], false)).stdout.trim();
      assertEquals(exists(`${mnt}/written`), false);
      assertEquals(exists(`${mnt}/bin/ls`), true);
      // moat state names the upper: beside podman's merged directory
      const st = await moatState(id);
      const layer = st.overlay.layers[0];
      assertEquals([layer.destination, layer.medium], ["/", "self"]);
      assertStringIncludes(layer.upper, `/.moat.filestore.${id}/root/upper`);
      assertEquals(Deno.readTextFileSync(`${layer.upper}/written`), "w\n");
      const tarFile = Deno.makeTempFileSync({ suffix: ".tar" });
      const t = await new Deno.Command(MOAT, {
        args: ["--root", STATE_ROOT, "tar", "rootfs-upper", "--file", tarFile, id],
      }).output();
      assertEquals(t.code, 0, new TextDecoder().decode(t.stderr));
      const list = await new Deno.Command("tar", { args: ["-tf", tarFile], stdout: "piped" })
        .output();
      const names = new TextDecoder().decode(list.stdout).split("\n");
      assert(names.includes("written") && names.includes("bin/.wh.ls"), names.join(" "));
      Deno.removeSync(tarFile);
      assertEquals((await p.podman(["stop", "-t", "5", id])).code, 0);
      assertEquals((await p.podman(["rm", id])).code, 0);
      assertEquals(exists(layer.upper.replace(/\/root\/upper$/, "")), false);
    } finally {
      await p.podman(["rm", "-f", "-t", "0", id]);
    }
  },
});

Deno.test({
  name: "podman: without the annotation (overlay none) podman diff sees the writes, as with runc",
  ...opts,
  async fn() {
    const p = await podman();
    const id = await p.detached(
      "echo w > /written; trap 'exit 0' TERM; while :; do sleep 0.1; done",
    );
    try {
      const e = await p.podman([
        "exec",
        id,
        "sh",
        "-c",
        "while [ ! -e /written ]; do sleep 0.05; done; cat /written",
      ]);
      assertEquals(e.stdout, "w\n", e.stderr);
      const diff = await p.podman(["diff", id]);
      assertStringIncludes(diff.stdout, "A /written");
      assertEquals((await moatState(id)).overlay, undefined);
    } finally {
      assertEquals((await p.podman(["rm", "-f", "-t", "0", id])).code, 0);
    }
  },
});
