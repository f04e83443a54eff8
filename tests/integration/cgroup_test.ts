// Cgroups enforced on this (hybrid) host: OOM kills with an `oom` event, pids.max, cpu throttling,
// device rules (v1 and the BPF program in unified/), live `update`, pause/resume, ps, events, and
// nothing left behind by delete (also after create was SIGKILLed half-way).
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, type SpecObject, uniqueId, WORK } from "../helpers/bundle.ts";
import { MOAT } from "../helpers/bundle.ts";
import {
  moat,
  moatToFile,
  processesMentioning,
  ROOT,
  runBundle,
  waitFor,
} from "../helpers/moat.ts";
import { compileDeviceFilter, encodeInsns } from "../../core/cgroup/devices_bpf.ts";
import { effectiveRules } from "../../core/cgroup/devices.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

function record(id: string): SpecObject {
  return JSON.parse(Deno.readTextFileSync(`${ROOT}/${id}/state.json`));
}

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Containers a failed assertion could leave running: the last test removes them. */
const started: string[] = [];

async function createStarted(bundle: string, id: string): Promise<void> {
  started.push(id);
  const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
  assertEquals(c.code, 0, c.stderr);
  const s = await moat(["start", id]);
  assertEquals(s.code, 0, s.stderr);
}

function withResources(res: SpecObject, extra?: (s: SpecObject) => void) {
  return (s: SpecObject) => {
    Object.assign(s.linux.resources, res);
    extra?.(s);
  };
}

async function cleanup(id: string, dirs: string[] = []): Promise<void> {
  await moat(["delete", "--force", id]);
  for (const d of dirs) assert(!exists(d), `${d} must be gone after delete`);
}

Deno.test({
  name: "cgroups: the init placed before start, the sentry outside; delete removes every dir",
  ...root,
  async fn() {
    const id = uniqueId("cgp");
    const bundle = makeBundle(["sleep", "60"], withResources({ pids: { limit: 40 } }));
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    const r = record(id);
    assertEquals(r.cgroup.driver, "cgroupfs");
    assertEquals(r.cgroup.mode, "hybrid");
    assertEquals(r.cgroup.path, id);
    const dirs: string[] = r.cgroup.created;
    assert(dirs.length >= 9, "one directory per hierarchy");
    const procs = Deno.readTextFileSync(`${r.cgroup.v1.pids}/cgroup.procs`).trim().split("\n")
      .map(Number);
    // the container's cgroup holds exactly its processes (ps, pids.max, freezer, OOM killer)
    assertEquals(procs, [r.pid], "the init, and only the init, is in it before start");
    assert(!procs.includes(r.sentryPid), "the sentry stays in its caller's cgroup");
    for (const d of dirs.filter((d) => !d.includes("/unified/"))) {
      assertEquals(Deno.readTextFileSync(`${d}/cgroup.procs`).trim(), String(r.pid), d);
    }
    const v2procs = Deno.readTextFileSync(`${r.cgroup.v2}/cgroup.procs`);
    assertEquals(v2procs.trim(), String(r.pid), "init cloned into the cgroup2 leaf");
    assertEquals(Deno.readTextFileSync(`${r.cgroup.v1.pids}/pids.max`).trim(), "40");
    const ps = await moat(["ps", "--format", "json", id]);
    assertEquals(ps.code, 0, ps.stderr);
    assertEquals(JSON.parse(ps.stdout), [...procs].sort((a, b) => a - b));
    const table = await moat(["ps", id]);
    assertMatch(table.stdout.split("\n")[0], /\bPID\b/);
    assertEquals(table.stdout.trim().split("\n").length, procs.length + 1, table.stdout);
    const del = await moat(["delete", "--force", id]);
    assertEquals(del.code, 0, del.stderr);
    for (const d of dirs) assert(!exists(d), `${d} removed`);
  },
});

Deno.test({
  name: "cgroups: a pre-existing parent is used and kept; absolute cgroupsPath",
  ...root,
  async fn() {
    const id = uniqueId("cgabs");
    const parent = `moat-parent-${Deno.pid}`;
    const pre = `/sys/fs/cgroup/pids/${parent}`;
    Deno.mkdirSync(pre);
    try {
      const bundle = makeBundle(["true"], (s) => (s.linux.cgroupsPath = `/${parent}/${id}`));
      const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
      assertEquals(c.code, 0, c.stderr);
      const r = record(id);
      assertEquals(r.cgroup.v1.pids, `${pre}/${id}`);
      assert(!r.cgroup.created.includes(pre));
      assert(r.cgroup.created.includes(`/sys/fs/cgroup/memory/${parent}`));
      await cleanup(id, r.cgroup.created);
      assert(exists(pre), "the pre-existing cgroup stays");
    } finally {
      Deno.removeSync(pre);
    }
  },
});

Deno.test({
  name: "cgroups: memory hog above memory.limit is OOM-killed and `events` reports oom",
  ...root,
  async fn() {
    const id = uniqueId("cgoom");
    const bundle = makeBundle(
      ["sh", "-c", "head -c 100m /dev/zero | tail > /dev/null; echo status=$?"],
      withResources({ memory: { limit: 24 * 1024 * 1024, swap: 24 * 1024 * 1024 } }),
    );
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    const ev = new Deno.Command(MOAT, {
      args: ["--root", ROOT, "events", "--interval", "100ms", id],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const chunks: string[] = [];
    const reader = (async () => {
      for await (const b of ev.stdout.pipeThrough(new TextDecoderStream())) chunks.push(b);
    })();
    await waitFor(() => chunks.join("").includes('"type":"stats"'));
    assertEquals((await moat(["start", id])).code, 0);
    const st = await ev.status;
    await reader;
    await ev.stderr.cancel();
    assertEquals(st.code, 0);
    const lines = chunks.join("").trim().split("\n").map((l) => JSON.parse(l));
    assert(
      lines.some((e) => e.type === "oom" && e.id === id && e.data === undefined),
      chunks.join(""),
    );
    const stats = lines.find((e) => e.type === "stats");
    assertEquals(stats.data.memory.usage.limit, 24 * 1024 * 1024);
    assertStringIncludes(Deno.readTextFileSync(`${bundle}/out`), "status=137");
    await cleanup(id);
  },
});

Deno.test({
  name: "cgroups: pids.limit makes fork fail inside the container",
  ...root,
  async fn() {
    const id = uniqueId("cgpid");
    const bundle = makeBundle(
      ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done; echo forked-all"],
      withResources({ pids: { limit: 6 } }),
    );
    const r = await runBundle(bundle, id);
    assertMatch(r.stdout + r.stderr, /can't fork|Resource temporarily unavailable/);
    assertEquals(r.stdout.includes("forked-all") && !/fork/.test(r.stderr), false);
    const ok = await runBundle(
      makeBundle(["sh", "-c", "sleep 0 & wait; echo fine"]),
      uniqueId("cgpid"),
    );
    assertStringIncludes(ok.stdout, "fine");
  },
});

Deno.test({
  name: "cgroups: cpu quota throttles (cpu.stat via events --stats)",
  ...root,
  async fn() {
    const id = uniqueId("cgcpu");
    const bundle = makeBundle(
      ["sh", "-c", "while :; do :; done"],
      withResources({ cpu: { quota: 10000, period: 100000, shares: 256 } }),
    );
    await createStarted(bundle, id);
    const r = record(id);
    assertEquals(Deno.readTextFileSync(`${r.cgroup.v1.cpu}/cpu.cfs_quota_us`).trim(), "10000");
    assertEquals(Deno.readTextFileSync(`${r.cgroup.v1.cpu}/cpu.shares`).trim(), "256");
    await new Promise((res) => setTimeout(res, 600));
    const s = await moat(["events", "--stats", id]);
    assertEquals(s.code, 0, s.stderr);
    const e = JSON.parse(s.stdout);
    assertEquals(e.type, "stats");
    assertEquals(e.id, id);
    for (const k of ["cpu", "memory", "pids", "blkio", "hugetlb"]) assert(k in e.data, k);
    assert(e.data.cpu.throttling.throttledPeriods > 0, JSON.stringify(e.data.cpu));
    assert(e.data.cpu.usage.total > 0);
    // 10% of one CPU: far less CPU time than wall time
    assert(e.data.cpu.usage.total < 0.3 * 600e6, `usage ${e.data.cpu.usage.total}`);
    assertEquals(e.data.pids.current, 1, "the workload alone (the sentry is not in the cgroup)");
    assert(e.data.memory.usage.usage > 0 && "failcnt" in e.data.memory.usage);
    assert("2MB" in e.data.hugetlb);
    await cleanup(id, r.cgroup.created);
  },
});

Deno.test({
  name: "cgroups: a device not allowed cannot be opened (EPERM); an allowed one can",
  ...root,
  async fn() {
    const script =
      "mknod /dev/k c 1 11 && (echo moat-cgroup-test > /dev/k && echo open-ok || echo open-failed); cat /dev/null && echo null-ok";
    const caps = (s: SpecObject) => {
      for (const k of ["bounding", "effective", "permitted"]) {
        s.process.capabilities[k].push("CAP_MKNOD");
      }
    };
    const denied = await runBundle(makeBundle(["sh", "-c", script], caps), uniqueId("cgdev"));
    assertStringIncludes(denied.stdout + denied.stderr, "Operation not permitted");
    assertStringIncludes(denied.stdout, "open-failed");
    assertStringIncludes(denied.stdout, "null-ok");
    const allowed = await runBundle(
      makeBundle(["sh", "-c", script], (s) => {
        caps(s);
        s.linux.resources.devices.push({
          allow: true,
          type: "c",
          major: 1,
          minor: 11,
          access: "w",
        });
      }),
      uniqueId("cgdev"),
    );
    assertStringIncludes(allowed.stdout, "open-ok", allowed.stderr);
  },
});

Deno.test({
  name: "cgroups: the BPF device program alone (cgroup2 at unified/) denies and permits opens",
  ...root,
  async fn() {
    const { deviceBpfLoader } = await import("../../ffi/bpf.ts");
    const dir = `/sys/fs/cgroup/unified/moat-bpf-test-${Deno.pid}`;
    Deno.mkdirSync(dir);
    try {
      // Only the program restricts: this shell stays in the v1 devices root (everything allowed).
      const probe = () =>
        new Deno.Command("/bin/sh", {
          args: [
            "-c",
            `echo $$ > ${dir}/cgroup.procs; (echo moat-bpf-test > /dev/kmsg) 2>&1 && echo kmsg-ok; cat /dev/null && echo null-ok`,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
      const dec = (b: Uint8Array) => new TextDecoder().decode(b);
      const before = await probe();
      assertStringIncludes(dec(before.stdout), "kmsg-ok");
      deviceBpfLoader().attach(
        dir,
        encodeInsns(compileDeviceFilter(effectiveRules([{ allow: false }], []))),
      );
      const after = await probe();
      const out = dec(after.stdout) + dec(after.stderr);
      assertStringIncludes(out, "Operation not permitted");
      assert(!out.includes("kmsg-ok"), out);
      assertStringIncludes(out, "null-ok");
    } finally {
      await waitFor(() => Deno.readTextFileSync(`${dir}/cgroup.procs`).trim() === "");
      Deno.removeSync(dir);
    }
  },
});

Deno.test({
  name: "cgroups: update of the memory limit takes effect on a running container and is recorded",
  ...root,
  async fn() {
    Deno.mkdirSync(WORK, { recursive: true });
    const fifo = `${WORK}/fifo-${uniqueId()}`;
    new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
    const id = uniqueId("cgupd");
    // dd fills one 48 MiB buffer: a fast, deterministic hog (tail re-grows its buffer slowly)
    const hog = "dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null";
    const bundle = makeBundle(
      [
        "sh",
        "-c",
        `read x < /mnt/f; ${hog}; echo first=$?; read x < /mnt/f; ${hog}; echo second=$?; sleep 60`,
      ],
      withResources({ memory: { limit: 256 * 1024 * 1024 } }, (s) => {
        s.mounts.push({ destination: "/mnt/f", type: "bind", source: fifo, options: ["bind"] });
      }),
    );
    await createStarted(bundle, id);
    Deno.writeTextFileSync(fifo, "go\n");
    await waitFor(() => Deno.readTextFileSync(`${bundle}/out`).includes("first="), 10_000);
    assertStringIncludes(Deno.readTextFileSync(`${bundle}/out`), "first=0");
    const u = await moat(["update", "--memory", "16m", "--memory-swap", "16m", id]);
    assertEquals(
      u.code,
      0,
      u.stderr + Deno.readTextFileSync(`${bundle}/out`) +
        Deno.readTextFileSync(`${ROOT}/${id}/sentry.log`),
    );
    const r = record(id);
    assertEquals(r.cgroup.resources.memory.limit, 16 * 1024 * 1024);
    assertEquals(
      Deno.readTextFileSync(`${r.cgroup.v1.memory}/memory.limit_in_bytes`).trim(),
      String(16 * 1024 * 1024),
    );
    Deno.writeTextFileSync(fifo, "go\n");
    await waitFor(() => Deno.readTextFileSync(`${bundle}/out`).includes("second="), 10_000);
    assertStringIncludes(Deno.readTextFileSync(`${bundle}/out`), "second=137");
    // --resources on stdin, recorded too
    const u2 = await moat(["update", "--resources", "-", id], { stdin: '{"pids":{"limit":33}}' });
    assertEquals(u2.code, 0, u2.stderr);
    assertEquals(Deno.readTextFileSync(`${r.cgroup.v1.pids}/pids.max`).trim(), "33");
    assertEquals(record(id).cgroup.resources.pids.limit, 33);
    const bad = await moat(["update", "--resources", "-", id], {
      stdin: '{"network":{"classID":1}}',
    });
    assertEquals(bad.code, 1);
    assertStringIncludes(bad.stderr, "net_cls/net_prio controllers are not mounted");
    await cleanup(id, r.cgroup.created);
    Deno.removeSync(fifo);
    const gone = await moat(["update", "--pids-limit", "5", id]);
    assertEquals(gone.code, 1);
  },
});

Deno.test({
  name: "cgroups: pause stops a counter, resume restarts it; paused in state/list; kill works",
  ...root,
  async fn() {
    Deno.mkdirSync(WORK, { recursive: true });
    const counter = `${WORK}/counter-${uniqueId()}`;
    Deno.writeTextFileSync(counter, "0");
    const id = uniqueId("cgfrz");
    const bundle = makeBundle(
      ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /mnt/c; usleep 5000; done"],
      (s) =>
        s.mounts.push({ destination: "/mnt/c", type: "bind", source: counter, options: ["bind"] }),
    );
    await createStarted(bundle, id);
    const read = () => Number(Deno.readTextFileSync(counter).trim() || "0");
    await waitFor(() => read() > 3);
    const p = await moat(["pause", id]);
    assertEquals(p.code, 0, p.stderr);
    const r = record(id);
    assertEquals(Deno.readTextFileSync(`${r.cgroup.v1.freezer}/freezer.state`).trim(), "FROZEN");
    const frozenAt = read();
    await new Promise((res) => setTimeout(res, 300));
    assertEquals(read(), frozenAt, "the counter does not advance while paused");
    assertEquals(JSON.parse((await moat(["state", id])).stdout).status, "paused");
    const l = JSON.parse((await moat(["list", "--format", "json"])).stdout);
    assertEquals(l.find((x: SpecObject) => x.id === id).status, "paused");
    assertEquals((await moat(["resume", id])).code, 0);
    await waitFor(() => read() > frozenAt + 3);
    assertEquals(JSON.parse((await moat(["state", id])).stdout).status, "running");
    const again = await moat(["resume", id]);
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, "container not paused");
    // kill of a paused container works
    assertEquals((await moat(["pause", id])).code, 0);
    const k = await moat(["kill", id, "KILL"]);
    assertEquals(k.code, 0, k.stderr);
    await waitFor(async () => JSON.parse((await moat(["state", id])).stdout).status === "stopped");
    const ps = await moat(["pause", id]);
    assertEquals(ps.code, 1);
    assertStringIncludes(ps.stderr, "container not running");
    const ev = await moat(["events", "--stats", id]);
    assertEquals(ev.code, 1);
    assertStringIncludes(ev.stderr, `container with id ${id} is not running`);
    await cleanup(id, r.cgroup.created);
    Deno.removeSync(counter);
  },
});

Deno.test({
  name: "cgroups: delete --force of a paused container, and after moat was SIGKILLed mid-create",
  ...root,
  async fn() {
    const id = uniqueId("cgpd");
    await createStarted(makeBundle(["sleep", "60"]), id);
    const r = record(id);
    assertEquals((await moat(["pause", id])).code, 0);
    const d = await moat(["delete", "--force", id]);
    assertEquals(d.code, 0, d.stderr);
    for (const dir of r.cgroup.created) assert(!exists(dir), dir);

    // createRuntime hook holds create after the cgroups exist and the sentry runs
    const id2 = uniqueId("cgk9");
    const marker = `moat-hook-${id2}`;
    const bundle = makeBundle(["sleep", "60"], (s) => {
      s.hooks = {
        createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", `sleep 30; : ${marker}`] }],
      };
    });
    const child = new Deno.Command(MOAT, {
      args: ["--root", ROOT, "create", "--bundle", bundle, id2],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitFor(() => processesMentioning(marker).length > 0, 10_000);
    const journal = JSON.parse(Deno.readTextFileSync(`${ROOT}/${id2}/cgroup.json`));
    assert(journal.created.every((dir: string) => exists(dir)), "cgroups exist mid-create");
    child.kill("SIGKILL");
    await child.status;
    for (const pid of processesMentioning(marker)) Deno.kill(pid, "SIGKILL");
    const f = await moat(["delete", "--force", id2]);
    assertEquals(f.code, 0, f.stderr);
    for (const dir of journal.created) assert(!exists(dir), `${dir} removed after a killed create`);
    assert(!exists(`${ROOT}/${id2}`));
  },
});

Deno.test({
  name: "cgroups: what the host cannot enforce fails create with a clear error and leaves nothing",
  ...root,
  async fn() {
    for (
      const [res, msg] of [
        [
          { network: { classID: 1 } },
          "linux.resources.network: net_cls/net_prio controllers are not mounted",
        ],
        [
          { blockIO: { weight: 100 } },
          "linux.resources.blockIO.weight: this host cannot enforce it",
        ],
        [
          { rdma: { mlx4_0: { hcaHandles: 1 } } },
          "linux.resources.rdma: the rdma controller is not mounted",
        ],
      ] as Array<[SpecObject, string]>
    ) {
      const id = uniqueId("cgerr");
      const r = await moatToFile([
        "create",
        "--bundle",
        makeBundle(["true"], withResources(res)),
        id,
      ], `${WORK}/${id}.out`);
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, msg);
      assert(!exists(`/sys/fs/cgroup/pids/${id}`) && !exists(`/sys/fs/cgroup/unified/${id}`));
      assert(!exists(`${ROOT}/${id}`));
    }
  },
});

Deno.test({
  name: "cgroups: an exec'd process joins the container's cgroups (ps lists it)",
  ...root,
  async fn() {
    const id = uniqueId("cgexec");
    await createStarted(makeBundle(["sleep", "60"]), id);
    const r = record(id);
    const e = await moat(["exec", id, "cat", "/proc/self/cgroup"]);
    assertEquals(e.code, 0, e.stderr);
    const before = JSON.parse((await moat(["ps", "--format", "json", id])).stdout).length;
    const d = await moatToFile(["exec", "--detach", id, "sleep", "30"], `${WORK}/${id}.exec`);
    assertEquals(d.code, 0, d.stderr);
    const after = JSON.parse((await moat(["ps", "--format", "json", id])).stdout).length;
    assert(after > before, `${before} → ${after}`);
    await cleanup(id, r.cgroup.created);
  },
});

Deno.test({
  name: "cgroups: /sys/fs/cgroup shows the container's own cgroups (v1 without a cgroup namespace)",
  ...root,
  async fn() {
    const id = uniqueId("cgview");
    // a cgroup beside the container's, as another container's would be
    const sibling = `/sys/fs/cgroup/memory/moat-sibling-${Deno.pid}`;
    Deno.mkdirSync(sibling, { recursive: true });
    const bundle = makeBundle(
      [
        "sh",
        "-c",
        [
          "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max",
          "ls /sys/fs/cgroup/memory | grep -c moat-sibling",
          "cat /sys/fs/cgroup/pids/cgroup.procs | wc -l",
          "touch /sys/fs/cgroup/pids/x 2>/dev/null && echo writable || echo read-only",
        ].join("; "),
      ],
      withResources({ memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 42 } }, (s) => {
        // what podman and Docker send on a v1 host: no cgroup namespace, a read-only cgroup mount
        s.linux.namespaces = s.linux.namespaces.filter((n: SpecObject) => n.type !== "cgroup");
        const m = s.mounts.find((m: SpecObject) => m.type === "cgroup");
        m.options = ["nosuid", "noexec", "nodev", "relatime", "ro"];
      }),
    );
    try {
      const r = await runBundle(bundle, id);
      assertEquals(r.code, 0, r.stderr);
      // the limits of this container; no sibling cgroup; only the container's own process (sh,
      // and cat's pipeline members) in its pids cgroup; the view is read-only
      const lines = r.stdout.trim().split("\n");
      assertEquals(lines.slice(0, 2), ["67108864", "42"]);
      assertEquals(lines[2], "0");
      assert(Number(lines[3]) >= 1 && Number(lines[3]) <= 3, lines[3]);
      assertEquals(lines[4], "read-only");
    } finally {
      Deno.removeSync(sibling);
      await moat(["delete", "--force", id]);
    }
  },
});

// Keep last.
Deno.test({
  name: "cgroups: (cleanup) nothing left running by a failed test above",
  ...root,
  async fn() {
    for (const id of started) await moat(["delete", "--force", id]);
  },
});
