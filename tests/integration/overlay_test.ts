// The rootfs overlay (--overlay2, dev.moat.overlay2) with real containers: writes land in the
// upper, the lower stays byte for byte what it was, containers sharing a lower see only their
// own writes, size= and the memory cgroup hold, and every way a container goes removes its
// filestores and memory media.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import {
  busyboxRootfs,
  isRoot,
  makeBundle,
  MOAT,
  type SpecObject,
  uniqueId,
  WORK,
} from "../helpers/bundle.ts";
import {
  moat,
  moatToFile,
  mountsMentioning,
  processesMentioning,
  ROOT,
  waitFor,
} from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

/** Container ids of this file: whatever a failed test left is deleted by the last test. */
const made: string[] = [];
function cid(prefix: string): string {
  const id = uniqueId(prefix);
  made.push(id);
  return id;
}

/** A private copy of the busybox rootfs with a small tree at /lower to change. */
function rootfsCopy(): string {
  const dir = `${WORK}/overlay/${uniqueId("lower")}`;
  Deno.mkdirSync(dir, { recursive: true });
  const out = new Deno.Command("cp", { args: ["-a", busyboxRootfs(), `${dir}/rootfs`] })
    .outputSync();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const l = `${dir}/rootfs/lower`;
  Deno.mkdirSync(`${l}/dir/sub`, { recursive: true });
  Deno.writeTextFileSync(`${l}/keep.txt`, "orig\n");
  Deno.writeTextFileSync(`${l}/gone.txt`, "delete me\n");
  Deno.writeTextFileSync(`${l}/old.txt`, "rename me\n");
  Deno.writeTextFileSync(`${l}/dir/a.txt`, "a\n");
  Deno.writeTextFileSync(`${l}/dir/sub/b.txt`, "b\n");
  Deno.symlinkSync("keep.txt", `${l}/alias`);
  Deno.chmodSync(`${l}/keep.txt`, 0o640);
  return `${dir}/rootfs`;
}

/** Every entry of a tree with its type, mode, owner, times, link target and content hash. */
async function checksum(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const p = dir + rel;
    const st = Deno.lstatSync(p);
    let what = "";
    if (st.isSymlink) what = `-> ${Deno.readLinkSync(p)}`;
    else if (st.isFile) {
      const h = await crypto.subtle.digest("SHA-256", Deno.readFileSync(p));
      what = [...new Uint8Array(h)].map((b) => b.toString(16).padStart(2, "0")).join("");
    }
    out.push(`${rel} ${st.mode} ${st.uid}:${st.gid} ${st.size} ${st.mtime?.getTime()} ${what}`);
    if (st.isDirectory) {
      const names = [...Deno.readDirSync(p)].map((e) => e.name).sort();
      for (const n of names) await walk(`${rel}/${n}`);
    }
  };
  await walk("");
  return out;
}

function bundleOn(rootfs: string, args: string[], edit?: (s: SpecObject) => void): string {
  return makeBundle(args, (s) => {
    s.root.path = rootfs;
    s.root.readonly = false;
    edit?.(s);
  });
}

function record(id: string) {
  return JSON.parse(Deno.readTextFileSync(`${ROOT}/${id}/state.json`));
}

function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** create (with global flags) + start, and wait until the container has exited. */
async function runKept(bundle: string, id: string, global: string[] = []) {
  // output files of their own: bundle directories of other test files may share the name
  const out = `${bundle}/${uniqueId("out")}`;
  const c = await moatToFile([...global, "create", "--bundle", bundle, id], out);
  assertEquals(c.code, 0, c.stderr);
  assertEquals((await moat(["start", id])).code, 0);
  await waitFor(
    async () => JSON.parse((await moat(["state", id])).stdout).status === "stopped",
    60_000,
  );
  return {
    out: Deno.readTextFileSync(out),
    err: Deno.readTextFileSync(`${out}.err`),
  };
}

/** Nothing of the container is left: no state, no mount, no filestore, no process. */
async function assertGone(id: string, filestores: string[]) {
  assertEquals((await moat(["state", id])).code, 1);
  assertEquals(mountsMentioning(id), []);
  assertEquals(processesMentioning(id), []);
  for (const f of filestores) assertEquals(exists(f), false, `${f} left behind`);
}

const WORKLOAD = [
  "set -e",
  "cd /lower",
  "echo new > new.txt",
  "echo more >> keep.txt",
  "rm gone.txt",
  "mv old.txt renamed.txt",
  "rm -rf dir",
  "mkdir dir",
  "echo fresh > dir/only.txt",
  "ln -s renamed.txt link",
  "cat keep.txt",
  "ls -A /lower /lower/dir",
].join("\n");
const EXPECTED =
  "orig\nmore\n/lower:\nalias\ndir\nkeep.txt\nlink\nnew.txt\nrenamed.txt\n\n/lower/dir:\nonly.txt\n";

const UPPER_ENTRIES = [
  "lower/",
  "lower/.wh.gone.txt",
  "lower/.wh.old.txt",
  "lower/dir/",
  "lower/dir/.wh..wh..opq",
  "lower/dir/only.txt",
  "lower/keep.txt",
  "lower/link -> renamed.txt",
  "lower/new.txt",
  "lower/renamed.txt",
];

/** `tar -tvf`: each entry's name (and a symlink's target), as GNU tar lists them. */
async function tarList(file: string): Promise<string[]> {
  const out = await new Deno.Command("tar", { args: ["-tvf", file] }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
    l.split(/\s+/).slice(5).join(" ")
  ).sort();
}

async function tarCat(file: string, name: string): Promise<string> {
  const out = await new Deno.Command("tar", { args: ["-xOf", file, name] }).output();
  return new TextDecoder().decode(out.stdout);
}

// "dir-long": layer paths past fsconfig's 255-byte strings (podman's storage in a deep checkout)
for (const variant of ["memory", "self", "dir", "dir-long"]) {
  const medium = variant === "dir-long" ? "dir" : variant;
  Deno.test({
    name: `overlay root:${variant}: writes land in the upper, the lower is unchanged byte for byte`,
    ...root,
    async fn() {
      const rootfs = rootfsCopy();
      const store = variant === "dir-long"
        ? `${rootfs}/../store/${"d".repeat(120)}/${"e".repeat(120)}`
        : `${rootfs}/../store`;
      Deno.mkdirSync(store, { recursive: true });
      const value = medium === "dir" ? `root:dir=${Deno.realPathSync(store)}` : `root:${medium}`;
      const before = await checksum(rootfs);
      const id = cid("ov");
      const bundle = bundleOn(rootfs, ["sh", "-c", WORKLOAD]);
      const r = await runKept(bundle, id, ["--overlay2", value]);
      assertEquals(r.out, EXPECTED, r.err);
      assertEquals(await checksum(rootfs), before);
      // the upper has the writes and the whiteouts; the record says where it is
      const rec = record(id);
      assertEquals(rec.overlay.value, value);
      assertEquals(rec.overlay.layers.length, 1);
      const layer = rec.overlay.layers[0];
      assertEquals([layer.destination, layer.medium, layer.lower], ["/", medium, rootfs]);
      const up = layer.upper;
      // the upper's root shows as "/": it has the lower root's owner and mode
      const [ur, lr] = [Deno.statSync(up), Deno.statSync(rootfs)];
      assertEquals([ur.mode! & 0o7777, ur.uid, ur.gid], [lr.mode! & 0o7777, lr.uid, lr.gid]);
      assertEquals(Deno.readTextFileSync(`${up}/lower/new.txt`), "new\n");
      assertEquals(Deno.readTextFileSync(`${up}/lower/keep.txt`), "orig\nmore\n");
      const wh = Deno.lstatSync(`${up}/lower/gone.txt`);
      assert(wh.isCharDevice && wh.rdev === 0, "gone.txt is a whiteout");
      assert(Deno.lstatSync(`${up}/lower/old.txt`).isCharDevice, "old.txt is a whiteout");
      assertEquals(exists(`${up}/bin`), false);
      if (medium === "memory") {
        assertEquals(layer.tmpfs, `${ROOT}/${id}/overlay/root`);
        assertEquals(mountsMentioning(`${ROOT}/${id}/overlay/root`).length, 1);
      } else {
        const fs = medium === "self"
          ? `${rootfs.replace(/\/rootfs$/, "")}`
          : Deno.realPathSync(store);
        assertEquals(up, `${fs}/.moat.filestore.${id}/root/upper`);
      }
      // tar rootfs-upper: the upper as an OCI layer, whiteouts and the opaque dir included
      const tarFile = `${bundle}/upper.tar`;
      const t = await moat(["tar", "rootfs-upper", "--file", tarFile, id]);
      assertEquals(t.code, 0, t.stderr);
      assertEquals(await tarList(tarFile), UPPER_ENTRIES);
      assertEquals(await tarCat(tarFile, "lower/keep.txt"), "orig\nmore\n");
      assertEquals((await moat(["delete", id])).code, 0);
      await assertGone(id, [up, `${Deno.realPathSync(store)}/.moat.filestore.${id}`]);
      assertEquals(exists(`${rootfs}/../.moat.filestore.${id}`), false);
      assertEquals(await checksum(rootfs), before);
    },
  });
}

Deno.test({
  name: "overlay: two containers on one lower see only their own writes (annotation)",
  ...root,
  async fn() {
    const rootfs = rootfsCopy();
    const chan = `${rootfs}/../chan`;
    Deno.mkdirSync(chan);
    const before = await checksum(rootfs);
    const edit = (medium: string) => (s: SpecObject) => {
      s.annotations = { "dev.moat.overlay2": `root:${medium}` };
      s.mounts.push({ destination: "/chan", type: "bind", source: chan, options: ["rbind", "rw"] });
    };
    // A writes and waits for B; B looks, writes and tells A; A looks again
    const a = bundleOn(rootfs, [
      "sh",
      "-c",
      "echo A > /lower/who; touch /chan/a; while [ ! -e /chan/b ]; do sleep 0.05; done; cat /lower/who; ls /lower",
    ], edit("memory"));
    const b = bundleOn(rootfs, [
      "sh",
      "-c",
      "while [ ! -e /chan/a ]; do sleep 0.05; done; cat /lower/who 2>&1; echo B > /lower/who; cat /lower/who; touch /chan/b",
    ], edit("self"));
    const ida = cid("ova"), idb = cid("ovb");
    const oa = `${a}/${uniqueId("out")}`, ob = `${b}/${uniqueId("out")}`;
    assertEquals((await moatToFile(["create", "--bundle", a, ida], oa)).code, 0);
    assertEquals((await moatToFile(["create", "--bundle", b, idb], ob)).code, 0);
    assertEquals((await moat(["start", ida])).code, 0);
    assertEquals((await moat(["start", idb])).code, 0);
    for (const id of [ida, idb]) {
      await waitFor(
        async () => JSON.parse((await moat(["state", id])).stdout).status === "stopped",
        60_000,
      );
    }
    assertEquals(
      Deno.readTextFileSync(oa),
      "A\nalias\ndir\ngone.txt\nkeep.txt\nold.txt\nwho\n",
    );
    assertStringIncludes(Deno.readTextFileSync(ob), "can't open '/lower/who'");
    assertStringIncludes(Deno.readTextFileSync(ob), "\nB\n");
    assertEquals(exists(`${rootfs}/lower/who`), false);
    assertEquals(exists(`${chan}/a`) && exists(`${chan}/b`), true);
    for (const id of [ida, idb]) assertEquals((await moat(["delete", id])).code, 0);
    await assertGone(ida, []);
    await assertGone(idb, [`${rootfs}/../.moat.filestore.${idb}`]);
    assertEquals(await checksum(rootfs), before);
  },
});

Deno.test({
  name: "overlay root:memory,size=: writes past the size fail with ENOSPC",
  ...root,
  async fn() {
    const bundle = makeBundle([
      "sh",
      "-c",
      "dd if=/dev/zero of=/big bs=65536 count=64 2>&1; echo rc=$?; dd if=/dev/zero of=/small bs=1024 count=64 2>/dev/null; echo small=$?",
    ], (s) => (s.root.readonly = false));
    const r = await moat([
      "--overlay2",
      "root:memory,size=1m",
      "run",
      "--bundle",
      bundle,
      cid("ovsz"),
    ]);
    assertStringIncludes(r.stdout, "No space left on device");
    assertStringIncludes(r.stdout, "rc=1");
    // the lower filesystem has room: the limit is the overlay's
    const ok = await moat([
      "--overlay2",
      "root:memory,size=8m",
      "run",
      "--bundle",
      bundle,
      cid("ovsz"),
    ]);
    assertStringIncludes(ok.stdout, "rc=0");
    assertEquals(exists(`${busyboxRootfs()}/big`), false);
  },
});

Deno.test({
  name: "overlay root:memory: the container's writes count against its memory cgroup",
  ...root,
  async fn() {
    const chan = `${WORK}/overlay/${uniqueId("chan")}`;
    Deno.mkdirSync(chan, { recursive: true });
    const bundle = makeBundle([
      "sh",
      "-c",
      "dd if=/dev/urandom of=/big bs=1048576 count=32 2>/dev/null; touch /chan/done; while :; do sleep 1; done",
    ], (s) => {
      s.root.readonly = false;
      s.linux.resources = { memory: { limit: 256 * 1024 * 1024 } };
      s.mounts.push({ destination: "/chan", type: "bind", source: chan, options: ["rbind", "rw"] });
    });
    const id = cid("ovmem");
    const c = await moatToFile(
      ["--overlay2", "root:memory", "create", "--bundle", bundle, id],
      `${bundle}/${uniqueId("out")}`,
    );
    assertEquals(c.code, 0, c.stderr);
    const rec = record(id);
    // the memory medium is as large as the memory limit
    assertStringIncludes(
      mountsMentioning(rec.overlay.layers[0].tmpfs)[0],
      `size=${256 * 1024}k`,
    );
    const mem = rec.cgroup.v1.memory;
    const shmem = () =>
      Number(/^shmem (\d+)$/m.exec(Deno.readTextFileSync(`${mem}/memory.stat`))?.[1]);
    const before = shmem();
    assertEquals((await moat(["start", id])).code, 0);
    await waitFor(() => exists(`${chan}/done`), 60_000);
    const usage = Number(Deno.readTextFileSync(`${mem}/memory.usage_in_bytes`));
    assert(usage >= 32 * 1024 * 1024, `memory.usage_in_bytes ${usage}`);
    assert(shmem() - before >= 32 * 1024 * 1024, `shmem ${before} -> ${shmem()}`);
    assertEquals((await moat(["delete", "--force", id])).code, 0);
    await assertGone(id, []);
  },
});

Deno.test({
  name: "overlay all:self: writable directory binds are overlaid, read-only ones and files are not",
  ...root,
  async fn() {
    const host = `${WORK}/overlay/${uniqueId("binds")}`;
    Deno.mkdirSync(`${host}/data`, { recursive: true });
    Deno.mkdirSync(`${host}/ro`);
    Deno.writeTextFileSync(`${host}/data/f`, "orig\n");
    Deno.writeTextFileSync(`${host}/conf`, "conf\n");
    const bundle = makeBundle([
      "sh",
      "-c",
      "echo new > /data/f; echo g > /data/g; echo c2 > /etc/conf; cat /data/f /etc/conf; touch /ro/x 2>&1 | grep -c Read-only",
    ], (s) => {
      s.root.readonly = false;
      s.mounts.push(
        { destination: "/data", type: "bind", source: `${host}/data`, options: ["rbind", "rw"] },
        { destination: "/ro", type: "bind", source: `${host}/ro`, options: ["rbind", "ro"] },
        { destination: "/etc/conf", type: "bind", source: `${host}/conf`, options: ["bind"] },
      );
    });
    const id = cid("ovall");
    const r = await moatToFile(
      ["--overlay2", "all:self", "run", "--bundle", bundle, id],
      `${bundle}/${uniqueId("out")}`,
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "new\nc2\n1\n");
    assertStringIncludes(
      r.stderr,
      `${host}/conf is not a directory: /etc/conf uses the memory medium`,
    );
    assertEquals(Deno.readTextFileSync(`${host}/data/f`), "orig\n");
    assertEquals(Deno.readTextFileSync(`${host}/conf`), "conf\n");
    assertEquals([...Deno.readDirSync(host)].map((e) => e.name).sort(), ["conf", "data", "ro"]);
    await assertGone(id, []);
  },
});

Deno.test({
  name: "overlay: bad values fail create naming the flag or annotation, nothing left",
  ...root,
  async fn() {
    const bundle = makeBundle(["true"], (s) => (s.root.readonly = false));
    const cases: Array<[string[], string]> = [
      [["--overlay2", "root:disk"], '--overlay2: invalid value "root:disk": unknown medium "disk"'],
      [["--overlay2", "memory"], '--overlay2: invalid value "memory": no scope'],
      [["--overlay2", "root:self,size=1m"], "size= applies to the memory medium only"],
      [
        ["--overlay2", "root:dir=/nonexistent-moat"],
        "--overlay2: dir=/nonexistent-moat: no such directory",
      ],
    ];
    for (const [flags, msg] of cases) {
      const id = cid("ovbad");
      const r = await moatToFile(
        [...flags, "create", "--bundle", bundle, id],
        `${bundle}/${uniqueId("out")}`,
      );
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, msg);
      await assertGone(id, [`${busyboxRootfs()}/../.moat.filestore.${id}`]);
    }
    const annotated = makeBundle(["true"], (s) => {
      s.root.readonly = false;
      s.annotations = { "dev.moat.overlay2": "all:memory,size=1q" };
    });
    const id = cid("ovbad");
    const r = await moatToFile(
      ["--overlay2", "root:memory", "create", "--bundle", annotated, id],
      `${annotated}/${uniqueId("out")}`,
    );
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stderr,
      'annotation dev.moat.overlay2: invalid value "all:memory,size=1q"',
    );
    await assertGone(id, []);
  },
});

Deno.test({
  name: "overlay: a filestore that exists already is refused and left alone",
  ...root,
  async fn() {
    const rootfs = rootfsCopy();
    const id = cid("ovex");
    const theirs = `${rootfs.replace(/\/rootfs$/, "")}/.moat.filestore.${id}`;
    Deno.mkdirSync(theirs);
    Deno.writeTextFileSync(`${theirs}/keep`, "x");
    const bundle = bundleOn(rootfs, ["true"]);
    const r = await moatToFile(
      ["--overlay2", "root:self", "create", "--bundle", bundle, id],
      `${bundle}/${uniqueId("out")}`,
    );
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, `--overlay2: filestore ${theirs}: already exists`);
    assertEquals(Deno.readTextFileSync(`${theirs}/keep`), "x");
    assertEquals((await moat(["state", id])).code, 1);
    Deno.removeSync(theirs, { recursive: true });
  },
});

Deno.test({
  name: "overlay: a create that fails after the overlay was made removes it",
  ...root,
  async fn() {
    const rootfs = rootfsCopy();
    for (const medium of ["memory", "self"]) {
      const id = cid("ovfail");
      const bundle = bundleOn(rootfs, ["/no/such/binary"]);
      const r = await moatToFile(
        ["--overlay2", `root:${medium}`, "create", "--bundle", bundle, id],
        `${bundle}/${uniqueId("out")}`,
      );
      assertEquals(r.code, 1);
      await assertGone(id, [`${rootfs}/../.moat.filestore.${id}`]);
    }
  },
});

Deno.test({
  name: "overlay: kill -9 of create, then delete --force removes media and filestores",
  ...root,
  async fn() {
    const rootfs = rootfsCopy();
    const marker = `${rootfs}/../hook-ran`;
    for (const medium of ["memory", "self"]) {
      const id = cid("ovkill");
      try {
        Deno.removeSync(marker);
      } catch { /* first round */ }
      // a prestart hook holds create while the overlay exists (memory medium mounted)
      const bundle = bundleOn(rootfs, ["true"], (s) => {
        s.hooks = {
          prestart: [{
            path: "/bin/sh",
            args: ["sh", "-c", `touch ${marker}; while :; do sleep 1; done`],
          }],
        };
      });
      const child = new Deno.Command("/bin/sh", {
        args: [
          "-c",
          `exec ${MOAT} --root ${ROOT} --overlay2 root:${medium} create --bundle ${bundle} ${id} </dev/null >/dev/null 2>&1`,
        ],
      }).spawn();
      await waitFor(() => exists(marker), 60_000);
      const rec = record(id);
      const layer = rec.overlay?.layers?.[0] ??
        JSON.parse(Deno.readTextFileSync(`${ROOT}/${id}/overlay.json`));
      assert(layer, "the overlay is recorded before create returns");
      if (medium === "memory") {
        assertEquals(mountsMentioning(`${ROOT}/${id}/overlay/root`).length, 1);
      } else assert(exists(`${rootfs}/../.moat.filestore.${id}`));
      child.kill("SIGKILL");
      await child.status;
      for (const pid of processesMentioning(marker)) Deno.kill(pid, "SIGKILL");
      const d = await moat(["delete", "--force", id]);
      assertEquals(d.code, 0, d.stderr);
      await assertGone(id, [`${rootfs}/../.moat.filestore.${id}`]);
    }
  },
});

Deno.test({
  name: "overlay: delete --force of a create killed before it wrote any state uses overlay.json",
  ...root,
  async fn() {
    // what a create killed right after its journal leaves: a state dir with only overlay.json
    const id = cid("ovjournal");
    const dir = `${ROOT}/${id}`;
    const fs = `${WORK}/overlay/${uniqueId("fs")}/.moat.filestore.${id}`;
    Deno.mkdirSync(`${fs}/root/upper`, { recursive: true });
    Deno.mkdirSync(`${dir}/overlay/root`, { recursive: true, mode: 0o700 });
    const m = new Deno.Command("mount", { args: ["-t", "tmpfs", "tmpfs", `${dir}/overlay/root`] })
      .outputSync();
    assertEquals(m.code, 0);
    Deno.writeTextFileSync(
      `${dir}/overlay.json`,
      JSON.stringify({ filestores: [fs], tmpfs: [`${dir}/overlay/root`] }),
    );
    const d = await moat(["delete", "--force", id]);
    assertEquals(d.code, 0, d.stderr);
    assertEquals(mountsMentioning(dir), []);
    assertEquals(exists(fs), false);
    assertEquals(exists(dir), false);
  },
});

Deno.test({
  name: "tar rootfs-upper: long names, hard links, fifos; refusals",
  ...root,
  async fn() {
    const long = "x".repeat(120);
    const bundle = makeBundle([
      "sh",
      "-c",
      `mkdir -p /p/${long}; echo deep > /p/${long}/f; echo h > /h1; ln /h1 /h2; mkfifo /fifo`,
    ], (s) => (s.root.readonly = false));
    const id = cid("ovtar");
    await runKept(bundle, id, ["--overlay2", "root:memory"]);
    const tarFile = `${bundle}/upper.tar`;
    assertEquals((await moat(["tar", "rootfs-upper", "--file", tarFile, id])).code, 0);
    const out = await new Deno.Command("tar", { args: ["-tvf", tarFile] }).output();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    const find = (re: RegExp) => lines.find((l) => re.test(l)) ?? `(none for ${re})`;
    assertStringIncludes(find(/ h2 /), "h2 link to h1");
    assert(find(/ fifo$/).startsWith("p"), find(/ fifo$/));
    assertEquals(await tarCat(tarFile, `p/${long}/f`), "deep\n");
    // refusals: no such subcommand, no --file, a container without an overlay
    const plain = cid("ovtar");
    await runKept(makeBundle(["true"]), plain);
    const cases: Array<[string[], string]> = [
      [["tar", "rootfs-lower", "--file", tarFile, id], 'unknown subcommand "rootfs-lower"'],
      [["tar", "rootfs-upper", id], "--file is required"],
      [
        ["tar", "rootfs-upper", "--file", `${bundle}/p.tar`, plain],
        `container ${plain} has no rootfs overlay`,
      ],
    ];
    for (const [args, msg] of cases) {
      const r = await moat(args);
      assertEquals(r.code, 1, msg);
      assertStringIncludes(r.stderr, msg);
    }
    assertEquals(exists(`${bundle}/p.tar`), false);
    for (const x of [id, plain]) assertEquals((await moat(["delete", x])).code, 0);
  },
});

Deno.test({
  name: "overlay: a container in a new user namespace writes through its overlay",
  ...root,
  async fn() {
    const rootfs = rootfsCopy();
    const data = `${rootfs}/../data`;
    Deno.mkdirSync(data);
    Deno.writeTextFileSync(`${data}/f`, "orig\n");
    const chown = new Deno.Command("chown", { args: ["-R", "100000:100000", rootfs, data] })
      .outputSync();
    assertEquals(chown.code, 0);
    const before = await checksum(rootfs);
    for (const medium of ["memory", "self"]) {
      const id = cid("ovuserns");
      const bundle = bundleOn(rootfs, [
        "sh",
        "-c",
        "echo u > /lower/u; stat -c %u:%g /lower/u; rm /lower/keep.txt; echo new > /data/f; cat /data/f",
      ], (s) => {
        s.linux.namespaces.push({ type: "user" });
        s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.mounts.push({ destination: "/data", type: "bind", source: data, options: ["rbind"] });
      });
      const r = await runKept(bundle, id, ["--overlay2", `all:${medium}`]);
      assertEquals(r.out, "0:0\nnew\n", r.err);
      // on the host the container's root is 100000, in the upper as anywhere
      const up = record(id).overlay.layers[0].upper;
      assertEquals(Deno.lstatSync(`${up}/lower/u`).uid, 100000);
      assertEquals(Deno.readTextFileSync(`${data}/f`), "orig\n");
      assertEquals((await moat(["delete", id])).code, 0);
      await assertGone(id, [up]);
    }
    assertEquals(await checksum(rootfs), before);
  },
});

Deno.test({
  name: "overlay: a pod's containers inherit the sandbox's dev.moat.overlay2",
  ...root,
  async fn() {
    const rootfs = rootfsCopy();
    const cri = (type: string, sandbox: string) => ({
      "io.kubernetes.cri.container-type": type,
      "io.kubernetes.cri.sandbox-id": sandbox,
    });
    const pod = cid("ovpod");
    const sb = bundleOn(rootfs, ["sleep", "60"], (s) => {
      s.annotations = { ...cri("sandbox", pod), "dev.moat.overlay2": "root:memory" };
    });
    assertEquals(
      (await moatToFile(["create", "--bundle", sb, pod], `${sb}/${uniqueId("out")}`)).code,
      0,
    );
    const member = cid("ovpodc");
    const c = bundleOn(rootfs, ["sh", "-c", "echo m > /lower/m; cat /lower/m"], (s) => {
      s.annotations = cri("container", pod);
    });
    const r = await runKept(c, member);
    assertEquals(r.out, "m\n", r.err);
    assertEquals(record(member).overlay.value, "root:memory");
    assertEquals(exists(`${rootfs}/lower/m`), false);
    for (const id of [member, pod]) assertEquals((await moat(["delete", "--force", id])).code, 0);
    await assertGone(member, []);
    await assertGone(pod, []);
  },
});

Deno.test({
  name: "overlay: mod.ts takes the overlay as a runtime option",
  ...root,
  async fn() {
    const { openRuntime } = await import("../../mod.ts");
    const rt = openRuntime({ root: ROOT, overlay2: "root:memory,size=4m" });
    const id = cid("ovmod");
    const bundle = makeBundle(
      ["sh", "-c", "echo m > /mod-write"],
      (s) => (s.root.readonly = false),
    );
    const rec = await rt.create({ id, bundle });
    assertEquals(rec.overlay?.value, "root:memory,size=4m");
    await rt.start(id);
    assertEquals(await rt.wait(id), { code: 0 });
    assertEquals(Deno.readTextFileSync(`${rec.overlay!.layers[0].upper}/mod-write`), "m\n");
    await rt.delete(id);
    assertEquals(exists(`${busyboxRootfs()}/mod-write`), false);
    await assertGone(id, []);
  },
});

Deno.test({
  name: "overlay: (cleanup) containers a failed test left behind are deleted",
  ...root,
  async fn() {
    for (const id of made) await moat(["delete", "--force", id]);
    for (const id of made) assertEquals(mountsMentioning(`/${id}/`), []);
  },
});
