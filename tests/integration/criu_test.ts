// checkpoint/restore (core/criu/): refusals that leave the container running and unchanged,
// errors that leave nothing behind, and what moat tells CRIU. CRIU 3.17 cannot run on kernels
// from 6.13 on (its vDSO probe rejects [vvar_vclock]); the dump side is driven here through a
// stand-in `criu` (--criu, runc's flag) that records its argv and ends the tree as a dump does.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, MOAT, type SpecObject, uniqueId, WORK } from "../helpers/bundle.ts";
import { buildStatic } from "../helpers/cbuild.ts";
import {
  moat,
  moatToFile,
  mountsMentioning,
  processesMentioning,
  ROOT,
  waitFor,
} from "../helpers/moat.ts";
import { probeCriu } from "../../core/criu/probe.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };
const OFF = { "dev.moat.mediation": "off" };

/** A stand-in CRIU: records its argv under the image directory, ends the tree on a dump. */
function fakeCriu(): string {
  const dir = `${WORK}/fake-criu-${Deno.pid}`;
  Deno.mkdirSync(dir, { recursive: true });
  const path = `${dir}/criu`;
  Deno.writeTextFileSync(
    path,
    `#!/bin/sh
case "$1" in
--version) echo "Version: 9.9"; exit 0 ;;
check) exit 0 ;;
esac
verb=$1; img=; tree=; leave=; work=
prev=
for a in "$@"; do
  case "$prev" in
  --images-dir) img=$a ;;
  --tree) tree=$a ;;
  --work-dir) work=$a ;;
  esac
  [ "$a" = --leave-running ] && leave=1
  prev=$a
done
printf '%s\\n' "$@" > "$img/$verb.args"
case "$verb" in
dump|pre-dump)
  : > "$img/inventory.img"
  [ "$verb" = dump ] && [ -z "$leave" ] && kill -9 "$tree"
  exit 0 ;;
restore)
  if [ ! -e "$img/restorable" ]; then
    echo "(00.000001) Error (fake): cannot restore here" > "$work/restore.log"
    exit 1
  fi
  # as --restore-sibling: the "restored" init is a child of CRIU's caller (CLONE_PARENT), in
  # the cgroups --cgroup-root names, and its pid goes to --pidfile
  exec python3 - "$@" <<'PY'
import ctypes, os, sys
a = sys.argv[1:]
val = lambda f: a[a.index(f) + 1]
libc = ctypes.CDLL(None, use_errno=True)
r, w = os.pipe()
pid = libc.syscall(56, 0x00008000 | 17, 0, 0, 0, 0)  # clone(CLONE_PARENT | SIGCHLD)
if pid == 0:
    os.close(r)
    os.setsid()
    os.read(os.open("/dev/null", os.O_RDONLY), 0)
    os.write(w, b"x")
    os.execv("/bin/sleep", ["sleep", "1000"])
os.close(w)
os.read(r, 1)
cg = val("--cgroup-root")
for d in os.listdir("/sys/fs/cgroup"):
    p = f"/sys/fs/cgroup/{d}{cg}/cgroup.procs"
    if os.path.exists(p):
        open(p, "w").write(str(pid))
open(val("--pidfile"), "w").write(str(pid))
PY
  ;;
esac
exit 2
`,
  );
  Deno.chmodSync(path, 0o755);
  return path;
}

async function runDetached(
  args: string[],
  annotations?: Record<string, string>,
  edit?: (s: SpecObject) => void,
) {
  const bundle = makeBundle(args, (s) => {
    if (annotations) s.annotations = annotations;
    edit?.(s);
  });
  const id = uniqueId("criu");
  const r = await moatToFile(["run", "-d", "--bundle", bundle, id], `${bundle}/out`);
  assertEquals(r.code, 0, r.stderr);
  return { id, bundle };
}

async function status(id: string): Promise<{ status: string; pid: number }> {
  const r = await moat(["state", id]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

function lines(p: string): string[] {
  return Deno.readTextFileSync(p).trim().split("\n");
}

const LOOP = ["sh", "-c", "while :; do sleep 1; done"];

Deno.test({
  name: "checkpoint: a sandbox that mediates is refused, saying why; the container runs on",
  ...root,
  async fn() {
    const { id } = await runDetached(LOOP);
    const before = await status(id);
    const img = `${WORK}/img-${id}`;
    const r = await moat(["--criu", fakeCriu(), "checkpoint", "--image-path", img, id]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "CRIU cannot checkpoint a seccomp listener");
    assertStringIncludes(r.stderr, "dev.moat.mediation=off");
    assert(!exists(img), "no image directory");
    const after = await status(id);
    assertEquals([after.status, after.pid], ["running", before.pid]);
    await moat(["delete", "--force", id]);
  },
});

Deno.test({
  name: "checkpoint: dev.moat.mediation=off mediates nothing; a conflicting key is an error",
  ...root,
  async fn() {
    const { id } = await runDetached(LOOP, OFF);
    const st = JSON.parse((await moat(["state", id])).stdout);
    assertEquals(st.sandbox.mediated, []);
    assertEquals(st.sandbox.virtualize, "off");
    await moat(["delete", "--force", id]);
    const bundle = makeBundle(["true"], (s) => {
      s.annotations = { ...OFF, "dev.moat.egress.default": "deny" };
    });
    const bad = uniqueId("criu");
    const r = await moatToFile(["create", "--bundle", bundle, bad], `${bundle}/out`);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "annotation dev.moat.egress.default");
    assertStringIncludes(r.stderr, "dev.moat.mediation=off turns off");
    assertEquals((await moat(["state", bad])).code, 1);
  },
});

Deno.test({
  name: "checkpoint: CRIU is told the bind mounts, masked files and devices; the container stops",
  ...root,
  async fn() {
    const src = `${WORK}/bindsrc-${Deno.pid}`;
    Deno.mkdirSync(src, { recursive: true });
    const { id } = await runDetached(LOOP, OFF, (s) => {
      s.mounts.push({ destination: "/data", type: "bind", source: src, options: ["rbind"] });
    });
    const { pid } = await status(id);
    const img = `${WORK}/img-${id}`;
    const r = await moat([
      "--criu",
      fakeCriu(),
      "checkpoint",
      "--image-path",
      img,
      "--tcp-established",
      "--file-locks",
      "--manage-cgroups-mode",
      "full",
      id,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const args = lines(`${img}/dump.args`);
    assertEquals(args.slice(0, 3), ["dump", "--tree", String(pid)]);
    const has = (...seq: string[]) =>
      assert(
        args.some((_, i) => seq.every((s, j) => args[i + j] === s)),
        `${seq.join(" ")} in ${args.join(" ")}`,
      );
    has("--images-dir", img);
    has("--work-dir", img);
    has("--tcp-established");
    has("--file-locks");
    has("--manage-cgroups=full");
    has("--external", "mnt[/data]:/data");
    // runc's default spec masks /proc/keys (a file) with a /dev/null bind
    has("--external", "mnt[/proc/keys]:/dev/null");
    assert(!args.includes("--leave-running"));
    // runc's descriptors.json: the init's stdio, for the restore's --inherit-fd
    assertEquals(JSON.parse(Deno.readTextFileSync(`${img}/descriptors.json`)).length, 3);
    await waitFor(async () => (await status(id)).status === "stopped");
    assertEquals((await moat(["delete", id])).code, 0);
  },
});

Deno.test({
  name: "checkpoint --leave-running leaves it running; --pre-dump then a dump on --parent-path",
  ...root,
  async fn() {
    const criu = fakeCriu();
    const { id } = await runDetached(LOOP, OFF);
    const { pid } = await status(id);
    const base = `${WORK}/img-${id}`;
    Deno.mkdirSync(base, { recursive: true });
    let r = await moat([
      "--criu",
      criu,
      "checkpoint",
      "--pre-dump",
      "--image-path",
      `${base}/pre`,
      id,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const pre = lines(`${base}/pre/pre-dump.args`);
    assertEquals(pre[0], "pre-dump");
    assert(pre.includes("--track-mem"));
    assertEquals((await status(id)).status, "running");
    r = await moat([
      "--criu",
      criu,
      "checkpoint",
      "--leave-running",
      "--parent-path",
      "../pre",
      "--image-path",
      `${base}/full`,
      id,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const full = lines(`${base}/full/dump.args`);
    assert(full.includes("--leave-running"));
    assertEquals(full[full.indexOf("--prev-images-dir") + 1], "../pre");
    const after = await status(id);
    assertEquals([after.status, after.pid], ["running", pid]);
    // a parent that is not there is refused
    r = await moat([
      "--criu",
      criu,
      "checkpoint",
      "--parent-path",
      "../nope",
      "--image-path",
      `${base}/x`,
      id,
    ]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "invalid --parent-path ../nope");
    assert(!exists(`${base}/x`), "the image directory it made is gone again");
    await moat(["delete", "--force", id]);
  },
});

Deno.test({
  name: "checkpoint: bad flags, a bad image path and a missing CRIU are clear errors; nothing made",
  ...root,
  async fn() {
    const { id } = await runDetached(LOOP, OFF);
    const criu = fakeCriu();
    const cases: Array<[string[], string]> = [
      [["--lazy-pages"], "--lazy-pages is not supported"],
      [["--manage-cgroups-mode", "bogus"], 'invalid --manage-cgroups-mode "bogus"'],
      [["--page-server", "nowhere"], 'invalid --page-server "nowhere"'],
      [["--status-fd", "77"], "invalid --status-fd 77"],
      [["--empty-ns", "pid"], 'invalid --empty-ns "pid"'],
      [["--image-path", `${WORK}/no/such/dir`], `invalid --image-path ${WORK}/no/such/dir`],
    ];
    for (const [flags, msg] of cases) {
      const r = await moat(["--criu", criu, "checkpoint", ...flags, id]);
      assertEquals(r.code, 1, flags.join(" "));
      assertStringIncludes(r.stderr, msg);
    }
    assert(!exists(`${WORK}/no`));
    const img = `${WORK}/img-${id}`;
    const r = await moat(["--criu", `${WORK}/no-criu-here`, "checkpoint", "--image-path", img, id]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, `CRIU not found: ${WORK}/no-criu-here`);
    assert(!exists(img));
    assertEquals((await status(id)).status, "running");
    await moat(["delete", "--force", id]);
    const gone = await moat(["--criu", criu, "checkpoint", id]);
    assertEquals(gone.code, 1);
    assertStringIncludes(gone.stderr, "container does not exist");
  },
});

Deno.test({
  name: "restore: bad image path, missing CRIU, a failed CRIU restore: clear errors, nothing left",
  ...root,
  async fn() {
    const bundle = makeBundle(LOOP, (s) => {
      s.annotations = OFF;
    });
    const id = uniqueId("rst");
    const img = `${WORK}/img-${id}`;
    Deno.mkdirSync(img, { recursive: true });
    const criu = fakeCriu();
    const check = async (args: string[], msg: string) => {
      const r = await moat(["--criu", criu, ...args]);
      assertEquals(r.code, 1, args.join(" "));
      assertStringIncludes(r.stderr, msg);
      assertEquals((await moat(["state", id])).code, 1, "no state left");
      assertEquals(processesMentioning(id), []);
      assertEquals(mountsMentioning(id), []);
      assert(!exists(`/sys/fs/cgroup/memory/${id}`) && !exists(`/sys/fs/cgroup/pids/${id}`));
    };
    await check(
      ["restore", "-d", "--bundle", bundle, "--image-path", `${WORK}/nope`, id],
      `invalid --image-path ${WORK}/nope`,
    );
    await check(
      ["restore", "-d", "--bundle", bundle, "--image-path", img, id],
      "no CRIU image there (inventory.img is missing)",
    );
    Deno.writeTextFileSync(`${img}/inventory.img`, "");
    await check(
      ["restore", "-d", "--lazy-pages", "--bundle", bundle, "--image-path", img, id],
      "--lazy-pages is not supported",
    );
    const r = await moat([
      "--criu",
      `${WORK}/no-criu-here`,
      "restore",
      "-d",
      "--bundle",
      bundle,
      "--image-path",
      img,
      id,
    ]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, `CRIU not found: ${WORK}/no-criu-here`);
    // CRIU itself fails: its error line and its log are named; the state and cgroups go
    await check(
      ["restore", "-d", "--bundle", bundle, "--image-path", img, id],
      "criu restore failed (exit status 1): Error (fake): cannot restore here",
    );
    const args = lines(`${img}/restore.args`);
    for (const a of ["--restore-sibling", "--restore-detached", "--manage-cgroups"]) {
      assert(args.includes(a), a);
    }
    // a bundle whose sandbox would mediate is refused before CRIU runs
    const mediating = makeBundle(LOOP);
    await check(
      ["restore", "-d", "--bundle", mediating, "--image-path", img, id],
      "dev.moat.mediation=off",
    );
  },
});

Deno.test({
  name: "features: checkpoint is reported as CRIU makes it available here",
  ...root,
  async fn() {
    const probe = await probeCriu();
    const r = await moat(["features"]);
    assertEquals(r.code, 0);
    const f = JSON.parse(r.stdout);
    assertEquals(f["dev.moat.checkpoint"].enabled, probe.available);
    assertEquals(
      f.annotations["org.opencontainers.runc.checkpoint.enabled"],
      String(probe.available),
    );
    if (!probe.available) {
      assertStringIncludes(f["dev.moat.checkpoint"].reason, probe.reason!.slice(0, 30));
    }
    const fake = JSON.parse((await moat(["--criu", fakeCriu(), "features"])).stdout);
    assertEquals(fake["dev.moat.checkpoint"], {
      enabled: true,
      criu: fakeCriu(),
      criuVersion: "9.9",
    });
    const none = JSON.parse((await moat(["--criu", `${WORK}/no-criu-here`, "features"])).stdout);
    assertEquals(none["dev.moat.checkpoint"].enabled, false);
    assertStringIncludes(none["dev.moat.checkpoint"].reason, "CRIU not found");
  },
});

Deno.test({
  name:
    "restore: the restored init is the caller's child, a sentry attaches; kill/exec/pause/delete",
  ...root,
  async fn() {
    const bundle = makeBundle(LOOP, (s) => {
      s.annotations = OFF;
    });
    const id = uniqueId("rst");
    const img = `${WORK}/img-${id}`;
    Deno.mkdirSync(img, { recursive: true });
    Deno.writeTextFileSync(`${img}/inventory.img`, "");
    Deno.writeTextFileSync(`${img}/restorable`, "");
    const pidFile = `${img}/pid`;
    const criu = fakeCriu();
    // like conmon or containerd's shim: a subreaper runs `restore` and reaps what it leaves
    const reaper = new Deno.Command(buildStatic("subreaper"), {
      args: [
        MOAT,
        "--root",
        ROOT,
        "--criu",
        criu,
        "restore",
        "-d",
        "--bundle",
        bundle,
        "--image-path",
        img,
        "--pid-file",
        pidFile,
        id,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines: string[] = [];
    const reading = (async () => {
      let rest = "";
      for await (const chunk of reaper.stdout.pipeThrough(new TextDecoderStream())) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        lines.push(...parts);
      }
    })();
    await waitFor(() => lines.some((l) => l.startsWith("cmd ")), 20_000);
    assertEquals(lines.filter((l) => l.startsWith("cmd ")), ["cmd 0"]);
    const st = await status(id);
    assertEquals(st.status, "running");
    assertEquals(Number(Deno.readTextFileSync(pidFile)), st.pid);
    const cmdline = Deno.readTextFileSync(`/proc/${st.pid}/cmdline`);
    assertEquals(cmdline.split("\0")[0], "sleep");
    const ppid = Number(
      /^PPid:\s*(\d+)/m.exec(Deno.readTextFileSync(`/proc/${st.pid}/status`))![1],
    );
    assertEquals(
      ppid,
      reaper.pid,
      "restore exited: the restored init went to the caller's subreaper",
    );
    assertEquals(mountsMentioning(id), [], "the criu-root bind is gone");
    // the sentry attached: it serves the control socket and sees the init
    const ps = await moat(["ps", "--format", "json", id]);
    assertEquals(ps.code, 0, ps.stderr);
    assertEquals(JSON.parse(ps.stdout), [st.pid]);
    // the sentry supervises the restored init (it cloned none of its own)
    const log = Deno.readTextFileSync(`${ROOT}/${id}/sentry.log`);
    assertStringIncludes(log, `init ${st.pid})`);
    const ex = await moat(["exec", id, "echo", "restored"]);
    assertEquals([ex.code, ex.stdout.trim()], [0, "restored"], ex.stderr);
    assertEquals((await moat(["pause", id])).code, 0);
    assertEquals((await status(id)).status, "paused");
    assertEquals((await moat(["resume", id])).code, 0);
    assertEquals((await moat(["kill", id, "KILL"])).code, 0);
    await waitFor(async () => (await status(id)).status === "stopped");
    await reaper.status;
    await reading;
    assert(lines.includes(`signal ${st.pid} 9`), lines.join("; "));
    assertEquals((await moat(["delete", id])).code, 0);
    assertEquals((await moat(["state", id])).code, 1);
    assertEquals(processesMentioning(id), []);
  },
});

// ---- with a working CRIU (CRIU >= 4.1 on 6.13+ kernels; skipped where `criu check` fails) ----

const criuWorks = (await probeCriu()).available;
const real = { ...root, ignore: root.ignore || !criuWorks };

/**
 * A counter writing through an fd it keeps open (the file's offset must survive) and to a file
 * it rewrites, in a bind-mounted directory of the host.
 */
async function counter(extra = "") {
  const out = `${WORK}/criu-out-${uniqueId()}`;
  Deno.mkdirSync(out, { recursive: true });
  const script = `${extra} exec 3>/out/log; i=0; while :; do i=$((i+1)); echo $i >&3; ` +
    `echo $i > /out/count; sleep 0.2; done`;
  const { id, bundle } = await runDetached(["sh", "-c", script], OFF, (s) => {
    s.mounts.push({ destination: "/out", type: "bind", source: out, options: ["rbind"] });
  });
  const count = () => {
    try {
      return Number(Deno.readTextFileSync(`${out}/count`).trim()) || 0;
    } catch {
      return 0;
    }
  };
  return { id, bundle, out, count };
}

function consecutive(log: string): boolean {
  const n = log.trim().split("\n").map(Number);
  return n.every((v, i) => v === i + 1);
}

Deno.test({
  name: "criu: a checkpointed counter restored into a new id continues; its open file's offset too",
  ...real,
  async fn() {
    const c = await counter();
    await waitFor(() => c.count() >= 3, 20_000);
    const img = `${WORK}/img-${c.id}`;
    const ck = await moat(["checkpoint", "--image-path", img, c.id]);
    assertEquals(ck.code, 0, ck.stderr);
    assertEquals((await status(c.id)).status, "stopped");
    const at = c.count();
    assertEquals((await moat(["delete", c.id])).code, 0);
    const id = uniqueId("rst");
    const r = await moatToFile(
      ["restore", "-d", "--bundle", c.bundle, "--image-path", img, id],
      `${img}.out`,
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await status(id)).status, "running");
    await waitFor(() => c.count() > at + 2, 20_000);
    // no restart from 1, no hole of NULs: the fd kept its offset
    const log = Deno.readTextFileSync(`${c.out}/log`);
    assert(!log.includes("\0") && consecutive(log), log);
    assertEquals((await moat(["delete", "--force", id])).code, 0);
  },
});

Deno.test({
  name: "criu: --leave-running; --pre-dump then a dump on it, restored",
  ...real,
  async fn() {
    const c = await counter();
    await waitFor(() => c.count() >= 2, 20_000);
    const img = `${WORK}/img-${c.id}`;
    Deno.mkdirSync(img, { recursive: true });
    let r = await moat(["checkpoint", "--leave-running", "--image-path", `${img}/lr`, c.id]);
    assertEquals(r.code, 0, r.stderr);
    const at = c.count();
    await waitFor(() => c.count() > at, 20_000);
    assertEquals((await status(c.id)).status, "running");
    r = await moat(["checkpoint", "--pre-dump", "--image-path", `${img}/pre`, c.id]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await status(c.id)).status, "running");
    r = await moat([
      "checkpoint",
      "--parent-path",
      "../pre",
      "--image-path",
      `${img}/full`,
      c.id,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const stopped = c.count();
    await moat(["delete", c.id]);
    const id = uniqueId("rst");
    r = await moatToFile(
      ["restore", "-d", "--bundle", c.bundle, "--image-path", `${img}/full`, id],
      `${img}.out`,
    );
    assertEquals(r.code, 0, r.stderr);
    await waitFor(() => c.count() > stopped, 20_000);
    assert(consecutive(Deno.readTextFileSync(`${c.out}/log`)));
    await moat(["delete", "--force", id]);
  },
});

Deno.test({
  name: "criu: --tcp-established keeps an established loopback connection in the container",
  ...real,
  async fn() {
    const out = `${WORK}/criu-out-${uniqueId()}`;
    Deno.mkdirSync(out, { recursive: true });
    // both ends of the connection in one process (tests/helpers/tcp_counter.c), which brings
    // lo up itself (CAP_NET_ADMIN)
    const probe = buildStatic("tcp_counter");
    const { id, bundle } = await runDetached(["/tcp_counter", "/out/received"], OFF, (s) => {
      for (const k of ["bounding", "effective", "permitted"]) {
        s.process.capabilities[k].push("CAP_NET_ADMIN");
      }
      s.mounts.push({ destination: "/out", type: "bind", source: out, options: ["rbind"] });
      s.mounts.push({
        destination: "/tcp_counter",
        type: "bind",
        source: probe,
        options: ["rbind", "ro"],
      });
    });
    const last = () => {
      try {
        return Number(Deno.readTextFileSync(`${out}/received`).trim().split("\n").at(-1)) || 0;
      } catch {
        return 0;
      }
    };
    await waitFor(() => last() >= 3, 20_000);
    const img = `${WORK}/img-${id}`;
    let r = await moat(["checkpoint", "--tcp-established", "--image-path", img, id]);
    assertEquals(r.code, 0, r.stderr);
    const at = last();
    await moat(["delete", id]);
    const id2 = uniqueId("rst");
    r = await moatToFile(
      ["restore", "-d", "--tcp-established", "--bundle", bundle, "--image-path", img, id2],
      `${img}.out`,
    );
    assertEquals(r.code, 0, r.stderr);
    await waitFor(() => last() > at + 2, 20_000);
    assert(consecutive(Deno.readTextFileSync(`${out}/received`)), "the same stream went on");
    await moat(["delete", "--force", id2]);
  },
});
