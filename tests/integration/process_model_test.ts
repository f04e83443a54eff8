// The process model engines rely on (DESIGN §3): state.pid is the container's init, a child of
// whoever called create (an engine's subreaper reaps it and gets its real exit status, as with
// runc); /proc/<state.pid>/ns/* are the container's namespaces, so a second container joining
// them joins the first container, never the host; the sentry is a sidecar the container does not
// depend on for state, kill, ps, pause or delete.
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, MOAT, type SpecObject, uniqueId, WORK } from "../helpers/bundle.ts";
import { buildStatic } from "../helpers/cbuild.ts";
import {
  moat,
  moatToFile,
  mountsMentioning,
  processesMentioning,
  ROOT,
  runBundle,
  waitFor,
} from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

const NS_TYPES = ["pid", "mount", "network", "ipc", "uts", "cgroup", "user", "time"] as const;
const NS_FILE: Record<string, string> = {
  pid: "pid",
  mount: "mnt",
  network: "net",
  ipc: "ipc",
  uts: "uts",
  cgroup: "cgroup",
  user: "user",
  time: "time",
};

function nsOf(pid: number | "self", type: string): string {
  return Deno.readLinkSync(`/proc/${pid}/ns/${NS_FILE[type]}`);
}

function withUserns(s: SpecObject) {
  s.linux.namespaces.push({ type: "user" });
  s.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
}

async function stateOf(id: string, r = ROOT) {
  const s = await moat(["state", id], { root: r });
  assertEquals(s.code, 0, s.stderr);
  return JSON.parse(s.stdout);
}

function recordOf(id: string, r = ROOT) {
  return JSON.parse(Deno.readTextFileSync(`${r}/${id}/state.json`));
}

function ppidOf(pid: number): number {
  return Number(/^PPid:\t(\d+)/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))![1]);
}

async function startDetached(bundle: string, id: string, r = ROOT) {
  const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`, r);
  assertEquals(c.code, 0, c.stderr);
  const st = await moat(["start", id], { root: r });
  assertEquals(st.code, 0, st.stderr);
  return await stateOf(id, r);
}

async function assertGone(id: string, r = ROOT) {
  assertEquals((await moat(["state", id], { root: r })).code, 1, "no state left");
  assertEquals(processesMentioning(id), [], "no process left");
  assertEquals(mountsMentioning(id), [], "no mount left");
}

/** Lines a subreaper harness printed so far. */
class Reaper {
  readonly lines: string[] = [];
  readonly child: Deno.ChildProcess;
  readonly done: Promise<void>;
  constructor(args: string[]) {
    const child = new Deno.Command(buildStatic("subreaper"), {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.child = child;
    this.done = (async () => {
      let rest = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        rest += chunk;
        const parts = rest.split("\n");
        rest = parts.pop()!;
        this.lines.push(...parts);
      }
    })();
  }
}

Deno.test({
  name: "process model: the init is a child of create's caller, whose subreaper reaps its status",
  ...root,
  async fn() {
    const id = uniqueId("pm");
    const bundle = makeBundle(["sh", "-c", "sleep 0.2; exit 7"]);
    const pidFile = `${bundle}/init.pid`;
    // like conmon or containerd's shim: a subreaper that runs `create` and reaps what is left
    const reaper = new Reaper([
      MOAT,
      "--root",
      ROOT,
      "create",
      "--bundle",
      bundle,
      "--pid-file",
      pidFile,
      id,
    ]);
    await waitFor(() => reaper.lines.includes("cmd 0"), 20_000);
    const pid = Number(Deno.readTextFileSync(pidFile));
    const st = await stateOf(id);
    assertEquals(st.pid, pid, "state.pid is the pid file's");
    assertEquals(st.status, "created");
    const rec = recordOf(id);
    assertNotEquals(rec.sentryPid, pid, "the sentry is another process");
    assertEquals(ppidOf(pid), reaper.child.pid, "create exited: the init went to the subreaper");
    assertEquals(nsOf(pid, "pid") !== nsOf("self", "pid"), true);
    const s = await moat(["start", id]);
    assertEquals(s.code, 0, s.stderr);
    await waitFor(() => reaper.lines.includes(`exit ${pid} 7`), 10_000);
    await waitFor(async () => (await stateOf(id)).status === "stopped");
    assertEquals((await stateOf(id)).pid, 0);
    assertEquals((await moat(["delete", id])).code, 0);
    await reaper.child.status;
    await reaper.done;
    // the init's real status reached the subreaper; the sentry exited on its own, with 0
    assert(reaper.lines.includes(`exit ${rec.sentryPid} 0`), reaper.lines.join("; "));
    await assertGone(id);
  },
});

Deno.test({
  name: "process model: a foreground run returns the init's exit code, or 128+signal",
  ...root,
  async fn() {
    const r = await runBundle(makeBundle(["sh", "-c", "echo out; exit 9"]), uniqueId("fg"));
    assertEquals([r.code, r.stdout], [9, "out\n"]);
    // not PID 1 of a namespace of its own, which would ignore the signal
    const hostPid = (
      s: SpecObject,
    ) => (s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) =>
      n.type !== "pid"
    ));
    const k = await runBundle(makeBundle(["sh", "-c", "kill -SEGV $$"], hostPid), uniqueId("fg"));
    assertEquals(k.code, 128 + 11);
  },
});

Deno.test({
  name: "process model: every namespace of state.pid is the container's, or the joined one",
  ...root,
  async fn() {
    const a = uniqueId("nsa");
    const aBundle = makeBundle(["sleep", "60"], (s) => {
      withUserns(s);
      s.linux.namespaces.push({ type: "time" });
    });
    // the same without a user namespace: joining a pid namespace owned by another container's
    // user namespace from outside it is refused by the kernel (proc needs that userns's caps)
    const a2 = uniqueId("nsa");
    const a2Bundle = makeBundle(["sleep", "60"], (s) => s.linux.namespaces.push({ type: "time" }));
    const sa = await startDetached(aBundle, a);
    const sa2 = await startDetached(a2Bundle, a2);
    try {
      for (const t of NS_TYPES) {
        assertNotEquals(nsOf(sa.pid, t), nsOf("self", t), `${t}: a new namespace`);
      }
      // a second container joins each of the first's namespaces by the path engines build from
      // state.pid (Docker's --pid/--network/--ipc container:X, Kubernetes' pod sharing)
      for (const t of NS_TYPES) {
        const b = uniqueId(`nsb-${t}`);
        const first = t === "user" ? sa.pid : sa2.pid;
        const path = `/proc/${first}/ns/${NS_FILE[t]}`;
        const bBundle = makeBundle(["sleep", "60"], (s) => {
          s.linux.namespaces.push({ type: "time" });
          s.linux.namespaces = s.linux.namespaces.map((n: { type: string }) =>
            n.type === t ? { type: t, path } : n
          );
          if (!s.linux.namespaces.some((n: { type: string }) => n.type === t)) {
            s.linux.namespaces.push({ type: t, path });
          }
          if (t === "uts") delete s.hostname; // joined: the hostname is the first container's
          if (t === "mount") {
            // the first container's filesystem already: nothing to mount into it
            s.mounts = [];
            s.linux.maskedPaths = [];
            s.linux.readonlyPaths = [];
            s.root.readonly = false;
          }
        });
        const sb = await startDetached(bBundle, b).catch((e) => {
          throw new Error(`joining ${t}: ${e.message}`);
        });
        try {
          assertEquals(nsOf(sb.pid, t), nsOf(first, t), `${t}: joined the first container's`);
          assertEquals(nsOf(sb.pid, t), Deno.readLinkSync(path));
          for (const other of NS_TYPES.filter((o) => o !== t && o !== "user")) {
            assertNotEquals(nsOf(sb.pid, other), nsOf(first, other), `${t} joined, ${other} new`);
            assertNotEquals(nsOf(sb.pid, other), nsOf("self", other), `${t} joined, ${other} new`);
          }
        } finally {
          await moat(["delete", "--force", b]);
        }
      }
    } finally {
      await moat(["delete", "--force", a]);
      await moat(["delete", "--force", a2]);
    }
    await assertGone(a);
    await assertGone(a2);
  },
});

Deno.test({
  name: "process model: joining a pid namespace sees that container's processes, no host process",
  ...root,
  async fn() {
    const a = uniqueId("pida");
    const sa = await startDetached(makeBundle(["sh", "-c", "sleep 61 & sleep 62"]), a);
    try {
      const b = uniqueId("pidb");
      const bBundle = makeBundle(
        ["sh", "-c", "for p in /proc/[0-9]*; do cat $p/cmdline; echo; done"],
        (s) => {
          s.linux.namespaces = s.linux.namespaces.map((n: { type: string }) =>
            n.type === "pid" ? { type: "pid", path: `/proc/${sa.pid}/ns/pid` } : n
          );
        },
      );
      const r = await runBundle(bBundle, b);
      assertEquals(r.code, 0, r.stderr);
      const seen = r.stdout.split("\n").map((l) => l.replaceAll("\0", " ").trim()).filter(Boolean);
      assert(seen.includes("sleep 61"), seen.join(" | "));
      assert(seen.includes("sleep 62"), seen.join(" | "));
      // the first container's three processes and the lister itself: nothing of the host
      assert(seen.length <= 5, `${seen.length} processes: ${seen.join(" | ")}`);
      assert(!seen.some((c) => c.includes("deno") || c.includes("moat")), seen.join(" | "));
    } finally {
      await moat(["delete", "--force", a]);
    }
  },
});

Deno.test({
  name: "process model: a config without a mount namespace runs in the caller's, chrooted",
  ...root,
  async fn() {
    const id = uniqueId("nomnt");
    const bundle = makeBundle(["sh", "-c", "ls /bin/busybox; sleep 0.5"], (s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== "mount");
      s.mounts = [];
      s.linux.maskedPaths = [];
      s.linux.readonlyPaths = [];
      s.root.readonly = false;
    });
    const before = Deno.readTextFileSync("/proc/self/mountinfo").split("\n").length;
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    const st = await stateOf(id);
    assertEquals(nsOf(st.pid, "mount"), nsOf("self", "mount"), "the caller's mount namespace");
    assertEquals(Deno.readLinkSync(`/proc/${st.pid}/root`), Deno.realPathSync(recordOf(id).rootfs));
    assertEquals((await moat(["start", id])).code, 0);
    await waitFor(async () => (await stateOf(id)).status === "stopped");
    assertEquals(Deno.readTextFileSync(`${bundle}/out`), "/bin/busybox\n");
    assertEquals((await moat(["delete", id])).code, 0);
    const after = Deno.readTextFileSync("/proc/self/mountinfo").split("\n").length;
    assertEquals(after, before, "no mount was made in the caller's namespace");
    // mounts would land in the caller's namespace: refused, naming the field
    const bad = makeBundle(["true"], (s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== "mount");
      s.linux.maskedPaths = [];
      s.linux.readonlyPaths = [];
    });
    const r = await moatToFile(["create", "--bundle", bad, uniqueId("nomnt")], `${bad}/out`);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "mounts[0]: /proc: mounts need a private mount namespace");
  },
});

Deno.test({
  name: "process model: without its sentry, state, ps, pause, kill and delete still work",
  ...root,
  async fn() {
    const id = uniqueId("nosentry");
    const st = await startDetached(makeBundle(["sh", "-c", "sleep 60 & sleep 61"]), id);
    const rec = recordOf(id);
    Deno.kill(rec.sentryPid, "SIGKILL");
    await waitFor(() => !processesMentioning("moat-sentry").includes(rec.sentryPid));
    assertEquals((await stateOf(id)).status, "running");
    assertEquals((await stateOf(id)).pid, st.pid);
    const ps = await moat(["ps", "--format", "json", id]);
    assertEquals(ps.code, 0, ps.stderr);
    const pids: number[] = JSON.parse(ps.stdout);
    assertEquals(pids.length, 2, ps.stdout); // sh ran the second sleep with exec
    assert(pids.includes(st.pid));
    assertEquals((await moat(["pause", id])).code, 0);
    assertEquals((await stateOf(id)).status, "paused");
    assertEquals((await moat(["resume", id])).code, 0);
    assertEquals((await stateOf(id)).status, "running");
    const k = await moat(["kill", id, "KILL"]);
    assertEquals(k.code, 0, k.stderr);
    await waitFor(async () => (await stateOf(id)).status === "stopped");
    const d = await moat(["delete", id]);
    assertEquals(d.code, 0, d.stderr);
    for (const pid of pids) assert(!alive(pid), `${pid} gone`);
    for (const dir of rec.cgroup.created as string[]) {
      assert(!exists(dir), `${dir} removed`);
    }
    await assertGone(id);
  },
});

Deno.test({
  name: "process model: kill --pid signals one process of the container and refuses others",
  ...root,
  async fn() {
    const id = uniqueId("killpid");
    const st = await startDetached(makeBundle(["sh", "-c", "sleep 60 & wait"]), id);
    try {
      const ps: number[] = JSON.parse((await moat(["ps", "--format", "json", id])).stdout);
      const sleeper = ps.find((p) => p !== st.pid)!;
      const k = await moat(["kill", "--pid", String(sleeper), id, "KILL"]);
      assertEquals(k.code, 0, k.stderr);
      await waitFor(() => !alive(sleeper));
      // the init (waiting for its child) ran on: only that process was signalled
      await waitFor(async () => (await stateOf(id)).status === "stopped");
      const outsider = await moat(["kill", "--pid", String(Deno.pid), id, "KILL"]);
      assertEquals(outsider.code, 1);
      assertStringIncludes(outsider.stderr, "container not running");
    } finally {
      await moat(["delete", "--force", id]);
    }
    const id2 = uniqueId("killpid");
    const st2 = await startDetached(makeBundle(["sleep", "60"]), id2);
    try {
      const outsider = await moat(["kill", "--pid", String(Deno.pid), id2, "KILL"]);
      assertEquals(outsider.code, 1);
      assertStringIncludes(
        outsider.stderr,
        `process ${Deno.pid} does not belong to container ${id2}`,
      );
      assert(alive(st2.pid));
      const bad = await moat(["kill", "--pid", "x", id2]);
      assertEquals(bad.code, 1);
      assertStringIncludes(bad.stderr, `invalid value "x" for flag -pid`);
    } finally {
      await moat(["delete", "--force", id2]);
    }
  },
});

Deno.test({
  name: "process model: exec --pid-file holds the exec'd process, a child of exec's caller",
  ...root,
  async fn() {
    const id = uniqueId("execpid");
    const st = await startDetached(makeBundle(["sleep", "60"]), id);
    try {
      const pidFile = `${WORK}/${id}.exec.pid`;
      const reaper = new Reaper([
        MOAT,
        "--root",
        ROOT,
        "exec",
        "--detach",
        "--pid-file",
        pidFile,
        id,
        "sh",
        "-c",
        "sleep 0.3; exit 5",
      ]);
      await waitFor(() => reaper.lines.includes("cmd 0"), 20_000);
      const pid = Number(Deno.readTextFileSync(pidFile));
      assertNotEquals(pid, st.pid);
      assertEquals(nsOf(pid, "pid"), nsOf(st.pid, "pid"), "in the container's pid namespace");
      assertEquals(ppidOf(pid), reaper.child.pid, "exec exited: the process went to the subreaper");
      await reaper.child.status;
      await reaper.done;
      // the exec'd process was reparented to the subreaper, which got its real status
      assert(reaper.lines.includes("cmd 0"), reaper.lines.join("; "));
      assert(reaper.lines.includes(`exit ${pid} 5`), reaper.lines.join("; "));
      const fg = await moat(["exec", id, "sh", "-c", "exit 3"]);
      assertEquals(fg.code, 3);
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "process model: a foreground run is a subreaper unless --no-subreaper",
  ...root,
  async fn() {
    for (const noSubreaper of [false, true]) {
      const id = uniqueId("subreap");
      const pidFile = `${WORK}/${id}.orphan`;
      // no pid namespace: an orphan goes to the nearest subreaper of the host
      const script = `(sleep 30 & echo $! > /w/${id}.orphan); sleep 2`;
      const bundle = makeBundle(["sh", "-c", script], (s) => {
        s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== "pid");
        s.mounts.push({ destination: "/w", type: "bind", source: WORK, options: ["rbind"] });
      });
      const run = new Deno.Command(MOAT, {
        args: [
          "--root",
          ROOT,
          "run",
          ...(noSubreaper ? ["--no-subreaper"] : []),
          "--bundle",
          bundle,
          id,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      await waitFor(() => {
        try {
          return Deno.readTextFileSync(pidFile).trim() !== "";
        } catch {
          return false;
        }
      });
      const orphan = Number(Deno.readTextFileSync(pidFile));
      await waitFor(() => ppidOf(orphan) !== 0 && !/^sh$/.test(comm(ppidOf(orphan))));
      if (noSubreaper) assertNotEquals(ppidOf(orphan), run.pid);
      else assertEquals(ppidOf(orphan), run.pid, "moat run adopted the orphan");
      const st = await run.output();
      assertEquals(st.code, 0, new TextDecoder().decode(st.stderr));
      await waitFor(() => !alive(orphan));
    }
  },
});

Deno.test({
  name: "process model: a 150+ character --root and a 64-hex id: lifecycle, exec, -t, hooks",
  ...root,
  async fn() {
    const longRoot = `${WORK}/${"r".repeat(Math.max(10, 160 - WORK.length))}`;
    assert(longRoot.length >= 150);
    const id = Array.from({ length: 64 }, (_, i) => "0123456789abcdef"[(i * 7 + Date.now()) % 16])
      .join("");
    const hookOut = `${WORK}/${id.slice(0, 8)}.hook`;
    const bundle = makeBundle(["sleep", "60"], (s) => {
      s.hooks = {
        prestart: [{ path: "/bin/sh", args: ["sh", "-c", `cat > ${hookOut}`] }],
        poststop: [{ path: "/bin/sh", args: ["sh", "-c", `echo stopped >> ${hookOut}`] }],
      };
    });
    const st = await startDetached(bundle, id, longRoot);
    assertEquals(st.status, "running");
    assertEquals(JSON.parse(Deno.readTextFileSync(hookOut)).pid, st.pid, "prestart saw the init");
    const e = await moat(["exec", id, "sh", "-c", "echo in; exit 4"], { root: longRoot });
    assertEquals([e.code, e.stdout], [4, "in\n"], e.stderr);
    const t = await moat(["exec", "-t", id, "sh", "-c", "test -t 0 && tty"], { root: longRoot });
    assertEquals(t.code, 0, t.stderr);
    assertStringIncludes(t.stdout, "/dev/pts/");
    const d = await moat(["exec", "-d", id, "sleep", "5"], { root: longRoot });
    assertEquals(d.code, 0, d.stderr);
    assertEquals((await moat(["kill", id, "KILL"], { root: longRoot })).code, 0);
    await waitFor(async () => (await stateOf(id, longRoot)).status === "stopped");
    assertEquals((await moat(["delete", id], { root: longRoot })).code, 0);
    assertStringIncludes(Deno.readTextFileSync(hookOut), "stopped\n");
    await assertGone(id, longRoot);
  },
});

function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

function comm(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "";
  }
}

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "process model: --pidfd-socket receives a pidfd of the init (create) and of exec's process",
  ...root,
  async fn() {
    const RECEIVER = new URL("../helpers/fd_receiver.py", import.meta.url).pathname;
    const id = uniqueId("pidfd");
    const bundle = makeBundle(["sleep", "60"]);
    // exec's extra arguments go after the id: sleep, so the exec'd process lives a while
    const receive = async (args: string[]) => {
      const sock = `/tmp/moat-pidfd-${id.slice(-6)}.sock`;
      const out = `${WORK}/${id}.${args[0]}.pidfd`;
      const rcv = new Deno.Command("python3", { args: [RECEIVER, sock, out] }).spawn();
      await waitFor(() => exists(sock));
      const tail = args[0] === "exec" ? ["sleep", "30"] : [];
      const r = await moatToFile(
        [...args, "--pidfd-socket", sock, id, ...tail],
        `${bundle}/${args[0]}`,
      );
      assertEquals(r.code, 0, r.stderr);
      await rcv.status;
      Deno.removeSync(sock);
      return Deno.readTextFileSync(out);
    };
    try {
      const created = await receive(["create", "--bundle", bundle]);
      const st = await stateOf(id);
      assertStringIncludes(created, "link=anon_inode:[pidfd]");
      assertStringIncludes(created, `\nPid:\t${st.pid}\n`);
      assertEquals((await moat(["start", id])).code, 0);
      const execd = await receive(["exec", "-d", "--pid-file", `${WORK}/${id}.epid`]);
      const epid = Number(Deno.readTextFileSync(`${WORK}/${id}.epid`));
      assertStringIncludes(execd, `\nPid:\t${epid}\n`);
      assertNotEquals(epid, st.pid);
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "process model: sentries run from one sealed memfd (one copy of the program)",
  ...root,
  async fn() {
    const ids = [uniqueId("share"), uniqueId("share")];
    try {
      for (const id of ids) await startDetached(makeBundle(["sleep", "60"]), id);
      const exes = ids.map((id) => Deno.statSync(`/proc/${recordOf(id).sentryPid}/exe`));
      assertEquals(exes[0].ino, exes[1].ino, "the second sentry runs the first one's memfd");
      const link = Deno.readLinkSync(`/proc/${recordOf(ids[1]).sentryPid}/exe`);
      assertStringIncludes(link, "/memfd:moat-sentry");
      // sealed: nobody, root included, can write it
      const w = new Deno.Command("sh", {
        args: ["-c", `echo x >> /proc/${recordOf(ids[1]).sentryPid}/exe`],
        stderr: "piped",
      }).outputSync();
      assert(!w.success, "the program cannot be written");
    } finally {
      for (const id of ids) await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "process model: a CLI start lets the init exec only once that CLI has exited",
  ...root,
  async fn() {
    const id = uniqueId("after");
    const marker = `${WORK}/${id}.ran`;
    const bundle = makeBundle(["sh", "-c", `touch /w/${id}.ran`], (s) => {
      s.mounts.push({ destination: "/w", type: "bind", source: WORK, options: ["rbind"] });
    });
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    assertEquals(recordOf(id).startAfterExit, true);
    // a stand-in for `moat start` that lingers: it asks, gets "ok", and stays a second
    const script = `
      Deno.chdir(Deno.args[0]); // a relative socket path: any checkout depth fits sun_path
      const c = await Deno.connect({ transport: "unix", path: "sentry.sock" });
      await c.write(new TextEncoder().encode("start after-exit\\n"));
      const b = new Uint8Array(64);
      const n = await c.read(b);
      console.log(new TextDecoder().decode(b.subarray(0, n ?? 0)).trim());
      await new Promise((r) => setTimeout(r, 1000));`;
    const asker = new Deno.Command(Deno.execPath(), {
      args: ["eval", script, `${ROOT}/${id}`],
      stdout: "piped",
    }).spawn();
    await new Promise((r) => setTimeout(r, 600));
    assert(!exists(marker), "the init has not run while the asker lives");
    const out = await asker.output();
    assertEquals(new TextDecoder().decode(out.stdout).trim(), "ok");
    await waitFor(() => exists(marker));
    await moat(["delete", "--force", id]);
  },
});
