import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { detectLayout } from "../../../core/cgroup/detect.ts";
import {
  type CgroupEnv,
  freezerState,
  mergeResources,
  pids,
  placement,
  remove,
  setFreezer,
  setup,
  update,
} from "../../../core/cgroup/manager.ts";
import { collectStats, oomKills, toJson } from "../../../core/cgroup/stats.ts";
import { FakeFs, hybridHost, v1Host, v2Host } from "./fake_fs.ts";
import type { HostCgroupMount } from "../../../core/plan/host.ts";

function env(h: { fs: FakeFs; mounts: HostCgroupMount[] }, attached?: string[]): CgroupEnv {
  return {
    fs: h.fs,
    layout: detectLayout(h.mounts, h.fs),
    own: new Map([["", "/"]]),
    bpf: attached ? { attach: (dir) => void attached.push(dir) } : undefined,
  };
}

Deno.test("hybrid: setup creates every hierarchy's dir, copies cpuset, applies, attaches BPF", () => {
  const h = hybridHost();
  const attached: string[] = [];
  const journal: string[][] = [];
  const e = {
    ...env(h, attached),
    journal: (r: { created: string[] }) => void journal.push(r.created),
  };
  const rec = setup(e, {
    id: "c1",
    cgroupsPath: "/moat/c1",
    systemd: false,
    resources: {
      memory: { limit: 1 << 26 },
      pids: { limit: 9 },
      devices: [{ allow: false, access: "rwm" }],
      hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
    },
  });
  assertEquals(rec.mode, "hybrid");
  assertEquals(rec.v2, "/sys/fs/cgroup/unified/moat/c1");
  assert(rec.created.includes("/sys/fs/cgroup/memory/moat"), "parents are created and recorded");
  assertEquals(journal[0], rec.created, "journaled before mkdir");
  assertEquals(h.fs.read("/sys/fs/cgroup/memory/moat/c1/memory.limit_in_bytes"), String(1 << 26));
  assertEquals(h.fs.read("/sys/fs/cgroup/pids/moat/c1/pids.max"), "9");
  assertEquals(
    h.fs.read("/sys/fs/cgroup/cpuset/moat/c1/cpuset.cpus"),
    "0-1",
    "inherited from the parent",
  );
  assertEquals(h.fs.read("/sys/fs/cgroup/cpuset/moat/c1/cpuset.mems"), "0");
  assertEquals(h.fs.read("/sys/fs/cgroup/unified/cgroup.subtree_control"), "+hugetlb");
  assertEquals(h.fs.read("/sys/fs/cgroup/unified/moat/cgroup.subtree_control"), "+hugetlb");
  assertEquals(h.fs.read("/sys/fs/cgroup/unified/moat/c1/hugetlb.2MB.max"), "0");
  assertEquals(attached, ["/sys/fs/cgroup/unified/moat/c1"]);
  assert(h.fs.writes.some(([p, v]) => p.endsWith("devices/moat/c1/devices.deny") && v === "a"));
  const where = placement(rec);
  assertEquals(where.v2Dir, "/sys/fs/cgroup/unified/moat/c1");
  assert(where.procs.includes("/sys/fs/cgroup/freezer/moat/c1/cgroup.procs"));
  assert(where.procs.includes("/sys/fs/cgroup/unified/moat/c1/cgroup.procs"));

  assertEquals(remove(h.fs, rec), []);
  for (const d of rec.created) assert(!h.fs.exists(d), `${d} removed`);
  assert(h.fs.exists("/sys/fs/cgroup/memory"));
});

Deno.test("setup fails on a field the host cannot enforce, before creating anything", () => {
  const h = hybridHost();
  const before = h.fs.dirs.size;
  assertThrows(
    () => setup(env(h), { id: "c", systemd: false, resources: { network: { classID: 7 } } }),
    "linux.resources.network: net_cls/net_prio controllers are not mounted",
  );
  assertEquals(h.fs.dirs.size, before);
});

Deno.test("setup removes what it created when a write fails (blkio.weight missing here)", () => {
  const h = hybridHost();
  const before = h.fs.dirs.size;
  assertThrows(
    () => setup(env(h), { id: "c", systemd: false, resources: { blockIO: { weight: 100 } } }),
    /linux.resources.blockIO.weight: this host cannot enforce it \(.*blkio.weight does not exist\)/,
  );
  assertEquals(h.fs.dirs.size, before);
});

Deno.test("pre-existing cgroups are used but never removed", () => {
  const h = v1Host();
  h.fs.mkdir("/sys/fs/cgroup/pids/pod");
  const rec = setup(env(h), { id: "c", cgroupsPath: "/pod/c", systemd: false, resources: {} });
  assert(!rec.created.includes("/sys/fs/cgroup/pids/pod"));
  assert(rec.created.includes("/sys/fs/cgroup/pids/pod/c"));
  assertEquals(rec.v2, undefined);
  remove(h.fs, rec);
  assert(h.fs.exists("/sys/fs/cgroup/pids/pod"));
  assert(!h.fs.exists("/sys/fs/cgroup/pids/pod/c"));
});

Deno.test("remove retries while the kernel still drains a cgroup (EBUSY), and sub-cgroups go", () => {
  const h = v1Host();
  const rec = setup(env(h), { id: "c", systemd: false, resources: {} });
  h.fs.busy.set("/sys/fs/cgroup/memory/c", 3);
  h.fs.mkdir("/sys/fs/cgroup/memory/c/inner");
  assertEquals(remove(h.fs, rec), []);
  assert(!h.fs.exists("/sys/fs/cgroup/memory/c"));
  h.fs.mkdir("/sys/fs/cgroup/pids/d");
  h.fs.busy.set("/sys/fs/cgroup/pids/d", 1_000_000);
  const left = remove(
    h.fs,
    { ...rec, v1: { pids: "/sys/fs/cgroup/pids/d" }, created: ["/sys/fs/cgroup/pids/d"] },
    50,
  );
  assertEquals(left, ["/sys/fs/cgroup/pids/d"]);
});

Deno.test("a parent moat created is shared: removing its creator leaves the others' cgroups and processes", async () => {
  const h = v1Host();
  const e = env(h);
  const first = setup(e, { id: "c1", cgroupsPath: "/shared/c1", systemd: false, resources: {} });
  assert(first.created.includes("/sys/fs/cgroup/pids/shared"), "c1 created the parent");
  const second = setup(e, { id: "c2", cgroupsPath: "/shared/c2", systemd: false, resources: {} });
  assert(!second.created.includes("/sys/fs/cgroup/pids/shared"));
  // a live process in c2 (ours, so nothing else can be hit); c2 is busy while it lives
  const sleeper = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" })
    .spawn();
  try {
    for (const c of Object.keys(second.v1)) {
      h.fs.files.set(`${second.v1[c]}/cgroup.procs`, `${sleeper.pid}\n`);
      h.fs.busy.set(second.v1[c], 1_000_000);
    }
    assertEquals(remove(h.fs, first, 50), []);
    for (const d of Object.values(first.v1)) assert(!h.fs.exists(d), `${d} removed`);
    for (const d of Object.values(second.v1)) assert(h.fs.exists(d), `${d} left alone`);
    assert(h.fs.exists("/sys/fs/cgroup/pids/shared"), "the parent holds c2: it stays");
    // SIGKILLed, it would be a zombie now (we have not reaped it)
    const state = Deno.readTextFileSync(`/proc/${sleeper.pid}/stat`).split(") ")[1][0];
    assert(state !== "Z" && state !== "X", `c2's process was not killed (state ${state})`);
    // once empty, the parent goes with its creator
    for (const d of Object.values(second.v1)) h.fs.busy.delete(d);
    assertEquals(remove(h.fs, second), []);
    assert(h.fs.exists("/sys/fs/cgroup/pids/shared"), "c2 did not create it: it stays (runc)");
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
});

Deno.test("setup makes a parent again that was removed after the record was planned", () => {
  const h = v1Host();
  h.fs.mkdir("/sys/fs/cgroup/pids/gone");
  h.fs.mkdir("/sys/fs/cgroup/memory/gone");
  const rec = setup({
    ...env(h),
    // the journal runs between planning and mkdir: the parent's creator is deleted right then
    journal: () => {
      h.fs.rmdir("/sys/fs/cgroup/pids/gone");
      h.fs.rmdir("/sys/fs/cgroup/memory/gone");
    },
  }, { id: "c", cgroupsPath: "/gone/c", systemd: false, resources: {} });
  assert(!rec.created.includes("/sys/fs/cgroup/pids/gone"));
  assert(h.fs.exists("/sys/fs/cgroup/pids/gone/c"));
  assert(h.fs.exists("/sys/fs/cgroup/memory/gone/c"));
});

Deno.test("v2: controllers enabled top-down, leaf gets the files, no v1 writes", () => {
  const h = v2Host();
  const attached: string[] = [];
  const rec = setup(env(h, attached), {
    id: "c",
    cgroupsPath: "/a/b",
    systemd: false,
    resources: {
      memory: { limit: 1000, swap: 3000 },
      cpu: { shares: 1024, quota: 5000 },
      devices: [{ allow: false, access: "rwm" }],
    },
  });
  assertEquals(
    h.fs.read("/sys/fs/cgroup/cgroup.subtree_control"),
    "+cpuset +cpu +io +memory +hugetlb +pids +rdma",
  );
  assertEquals(
    h.fs.read("/sys/fs/cgroup/a/cgroup.subtree_control"),
    "+cpuset +cpu +io +memory +hugetlb +pids +rdma",
  );
  assertEquals(
    h.fs.read("/sys/fs/cgroup/a/b/cgroup.subtree_control"),
    "",
    "the leaf keeps its processes",
  );
  assertEquals(h.fs.read("/sys/fs/cgroup/a/b/memory.max"), "1000");
  assertEquals(h.fs.read("/sys/fs/cgroup/a/b/memory.swap.max"), "2000");
  assertEquals(h.fs.read("/sys/fs/cgroup/a/b/cpu.weight"), "39");
  assertEquals(h.fs.read("/sys/fs/cgroup/a/b/cpu.max"), "5000 100000");
  assertEquals(attached, ["/sys/fs/cgroup/a/b"]);
  assertEquals(placement(rec).procs, ["/sys/fs/cgroup/a/b/cgroup.procs"]);
  // update: merged, applied, devices untouched
  const merged = mergeResources(rec.resources, { memory: { limit: 2000 } });
  assertEquals(merged.memory, { limit: 2000, swap: 3000 });
  update(env(h), rec, merged);
  assertEquals(h.fs.read("/sys/fs/cgroup/a/b/memory.max"), "2000");
  assertEquals(h.fs.read("/sys/fs/cgroup/a/b/memory.swap.max"), "1000");
});

Deno.test("v2 devices without a BPF loader is an error, not silence", () => {
  const h = v2Host();
  assertThrows(
    () => setup(env(h), { id: "c", systemd: false, resources: { devices: [{ allow: false }] } }),
    /no BPF loader/,
  );
});

Deno.test("freezer: v1 freezer.state on v1/hybrid, cgroup.freeze + cgroup.events on v2", () => {
  const h = hybridHost();
  const rec = setup(env(h), { id: "c", systemd: false, resources: {} });
  setFreezer(h.fs, rec, "FROZEN");
  assertEquals(h.fs.read("/sys/fs/cgroup/freezer/c/freezer.state"), "FROZEN");
  assertEquals(freezerState(h.fs, rec), "FROZEN");
  assertEquals(
    h.fs.read("/sys/fs/cgroup/unified/c/cgroup.freeze"),
    "0",
    "hybrid uses the v1 freezer",
  );
  const g = v2Host();
  const r2 = setup(env(g), { id: "c", systemd: false, resources: {} });
  g.fs.files.set("/sys/fs/cgroup/c/cgroup.events", "populated 1\nfrozen 1\n");
  setFreezer(g.fs, r2, "FROZEN");
  assertEquals(g.fs.read("/sys/fs/cgroup/c/cgroup.freeze"), "1");
  assertEquals(freezerState(g.fs, r2), "FROZEN");
  assertThrows(() => setFreezer(g.fs, r2, "THAWED", 30), /not THAWED/);
});

Deno.test("stats (runc events format) and OOM counters, v1 and v2; uint64 printed exactly", () => {
  const h = hybridHost();
  const rec = setup(env(h), { id: "c", systemd: false, resources: {} });
  h.fs.files.set("/sys/fs/cgroup/pids/c/cgroup.procs", "12\n13\n");
  h.fs.files.set("/sys/fs/cgroup/freezer/c/cgroup.procs", "12\n13\n");
  h.fs.files.set("/sys/fs/cgroup/pids/c/pids.current", "2");
  h.fs.files.set(
    "/sys/fs/cgroup/memory/c/memory.oom_control",
    "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
  );
  assertEquals(pids(h.fs, rec), [12, 13]);
  assertEquals(oomKills(h.fs, rec), 2);
  const s = collectStats(h.fs, rec, ["2MB"]);
  assertEquals(s.pids, { current: 2 });
  const mem = s.memory as Record<string, Record<string, unknown>>;
  assertEquals(mem.usage, { limit: 9223372036854771712n, usage: 4096, max: 8192, failcnt: 0 });
  assert(toJson(s).includes('"limit":9223372036854771712'));
  assertEquals(s.hugetlb, { "2MB": { failcnt: 0 } });
  const g = v2Host();
  const r2 = setup(env(g), { id: "c", systemd: false, resources: {} });
  const s2 = collectStats(g.fs, r2, []);
  assertEquals(oomKills(g.fs, r2), 1);
  assertEquals((s2.cpu as Record<string, unknown>).usage, {
    total: 5000,
    kernel: 2000,
    user: 3000,
  });
  assertEquals((s2.cpu as Record<string, unknown>).throttling, {
    periods: 4,
    throttledPeriods: 2,
    throttledTime: 7000,
  });
  assertEquals((s2.memory as Record<string, Record<string, unknown>>).usage.failcnt, 3);
});
