// The sentry's renderers of /proc/meminfo, cpuinfo, stat, uptime, loadavg, swaps, diskstats,
// /sys/devices/system/cpu/online and sysinfo(2) (sentry/vproc.c), run by the harness on fake
// cgroup and /proc trees written here. Every render is also checked by the harness against a
// buffer half its size (prefix, length, nothing written beyond).
import { assert, assertEquals, assertMatch } from "../../helpers/assert.ts";
import { fakeTree, render } from "../../helpers/vfs_harness.ts";

const MiB = 1024 * 1024;

function assertLine(text: string, line: string) {
  assert(text.split("\n").includes(line), `no line ${JSON.stringify(line)} in:\n${text}`);
}

const HOST_MEMINFO = [
  "MemTotal:       24683584 kB",
  "MemFree:        23635948 kB",
  "MemAvailable:   24063748 kB",
  "Buffers:           22644 kB",
  "Cached:           600132 kB",
  "SwapCached:            0 kB",
  "Active:           189536 kB",
  "Inactive:         447120 kB",
  "Active(anon):      15736 kB",
  "Inactive(anon):        0 kB",
  "Active(file):     173800 kB",
  "Inactive(file):   447120 kB",
  "Unevictable:           0 kB",
  "Mlocked:               0 kB",
  "SwapTotal:       1048576 kB",
  "SwapFree:        1040384 kB",
  "Dirty:               132 kB",
  "Writeback:             0 kB",
  "AnonPages:         13900 kB",
  "Mapped:            45180 kB",
  "Shmem:              9864 kB",
  "KReclaimable:      41236 kB",
  "Slab:              75720 kB",
  "SReclaimable:      41236 kB",
  "SUnreclaim:        34484 kB",
  "KernelStack:        2416 kB",
  "PageTables:          916 kB",
  "CommitLimit:    13390368 kB",
  "Committed_AS:     130052 kB",
  "VmallocTotal:   34359738367 kB",
  "AnonHugePages:         0 kB",
  "HugePages_Total:       0",
  "Hugepagesize:       2048 kB",
  "DirectMap4k:       63360 kB",
  "",
].join("\n");

function cpuBlock(id: number): string {
  return [
    `processor\t: ${id}`,
    "vendor_id\t: AuthenticAMD",
    "model name\t: AMD EPYC",
    `core id\t\t: ${id}`,
    `apicid\t\t: ${id * 2}`,
    "flags\t\t: fpu vme",
    "",
    "",
  ].join("\n");
}
const HOST_CPUINFO = [0, 1, 2, 3].map(cpuBlock).join("");

const HOST_STAT = [
  "cpu  180647 0 51191 338014 773 0 480 423 0 0",
  "cpu0 88751 0 25946 170654 143 0 37 206 0 0",
  "cpu1 91896 0 25245 167360 629 0 442 217 0 0",
  "cpu2 1 0 1 1 0 0 0 0 0 0",
  "cpu3 1 0 1 1 0 0 0 0 0 0",
  "intr 3776626 0 0 1",
  "ctxt 9451571",
  "btime 1796203259",
  "processes 177115",
  "procs_running 11",
  "procs_blocked 0",
  "softirq 1573099 0 185974",
  "",
].join("\n");

const HOST_SWAPS = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" +
  "/swapfile                               file\t\t1048576\t\t8192\t\t-2\n";

const HOST_DISKSTATS = [
  "   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
  " 254       0 vda 60917 11171 3477546 24780 19046 11470 1773592 14479 0 10736 40168 7273 72 156176 732 3350 176",
  " 254       1 vda1 100 0 800 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
  " 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
  "",
].join("\n");

const HOST_PROC = {
  "proc/meminfo": HOST_MEMINFO,
  "proc/cpuinfo": HOST_CPUINFO,
  "proc/stat": HOST_STAT,
  "proc/swaps": HOST_SWAPS,
  "proc/diskstats": HOST_DISKSTATS,
};

/** v1 memory.stat: the total_* figures differ from the cgroup's own, which must be ignored. */
function v1MemoryStat(o: { limit: number; memsw?: number; swap?: number }): string {
  const own = ["cache 1", "rss 1", "shmem 1", "active_file 1", "inactive_file 1"];
  const total = [
    "total_cache 4194304",
    "total_rss 8388608",
    "total_rss_huge 2097152",
    "total_shmem 1048576",
    "total_mapped_file 2097152",
    "total_dirty 8192",
    "total_writeback 4096",
    "total_active_anon 6291456",
    "total_inactive_anon 2097152",
    "total_active_file 3145728",
    "total_inactive_file 1048576",
    "total_unevictable 12288",
  ];
  const lim = [`hierarchical_memory_limit ${o.limit}`];
  if (o.memsw !== undefined) {
    lim.push(`hierarchical_memsw_limit ${o.memsw}`);
    total.push(`total_swap ${o.swap ?? 0}`);
  }
  return [...own, ...lim, ...total, ""].join("\n");
}

const UNLIMITED = "9223372036854771712";

/** The kernel's layout of a meminfo line: label and colon in 16 columns, 8 for the kB. */
function kb(label: string, bytes: number): string {
  return `${label}:`.padEnd(16) + String(bytes / 1024).padStart(8) + " kB";
}

/** The host's meminfo with the given lines replaced. */
function hostWith(rows: Record<string, number>): string {
  return HOST_MEMINFO.split("\n").map((l) => {
    const key = l.slice(0, l.indexOf(":"));
    return key in rows ? kb(key, rows[key]) : l;
  }).join("\n");
}

Deno.test("meminfo (v1): a 64 MiB limit, the cgroup's hierarchical figures, host lines kept", async () => {
  const root = fakeTree({
    ...HOST_PROC,
    "memory/memory.usage_in_bytes": `${16 * MiB}\n`,
    "memory/memory.stat": v1MemoryStat({ limit: 64 * MiB }),
  });
  const r = await render(root, ["meminfo"]);
  const free = 48 * MiB;
  assertEquals(
    r.meminfo,
    hostWith({
      MemTotal: 64 * MiB,
      MemFree: free,
      MemAvailable: free + 3 * MiB + 1 * MiB, // + active and inactive file pages
      Buffers: 0,
      Cached: 4 * MiB,
      SwapCached: 0,
      Active: 6 * MiB + 3 * MiB,
      Inactive: 2 * MiB + 1 * MiB,
      "Active(anon)": 6 * MiB,
      "Inactive(anon)": 2 * MiB,
      "Active(file)": 3 * MiB,
      "Inactive(file)": 1 * MiB,
      Unevictable: 12288,
      // no swap accounting in this cgroup: the host's swap
      SwapTotal: 1048576 * 1024,
      SwapFree: 1040384 * 1024,
      Dirty: 8192,
      Writeback: 4096,
      AnonPages: 8 * MiB,
      Mapped: 2 * MiB,
      Shmem: 1 * MiB,
      // v1 does not split kernel memory
      KReclaimable: 0,
      Slab: 0,
      SReclaimable: 0,
      SUnreclaim: 0,
      KernelStack: 0,
      PageTables: 0,
      AnonHugePages: 2 * MiB,
    }),
  );
  assertLine(r.meminfo, "VmallocTotal:   34359738367 kB");
  assertLine(r.meminfo, "HugePages_Total:       0");
  assertLine(r.meminfo, "CommitLimit:    13390368 kB");
});

Deno.test("meminfo (v1): an ancestor's lower limit applies; no limit shows the host's file", async () => {
  const lower = fakeTree({
    ...HOST_PROC,
    "memory/memory.usage_in_bytes": `${1 * MiB}\n`,
    "memory/memory.stat": v1MemoryStat({ limit: 32 * MiB }),
  });
  assertLine((await render(lower, ["meminfo"])).meminfo, kb("MemTotal", 32 * MiB));

  const none = fakeTree({
    ...HOST_PROC,
    "memory/memory.usage_in_bytes": `${1 * MiB}\n`,
    "memory/memory.stat": v1MemoryStat({ limit: Number(UNLIMITED) }),
  });
  const r = await render(none, ["meminfo", "swaps"]);
  assertEquals(r.meminfo, HOST_MEMINFO);
  assertEquals(r.swaps, HOST_SWAPS);

  const noCgroup = fakeTree(HOST_PROC);
  assertEquals((await render(noCgroup, ["meminfo"])).meminfo, HOST_MEMINFO);
});

Deno.test("swap (v1): memsw limit minus the memory limit, capped by the host's swap", async () => {
  const root = fakeTree({
    ...HOST_PROC,
    "memory/memory.usage_in_bytes": `${16 * MiB}\n`,
    "memory/memory.stat": v1MemoryStat({ limit: 64 * MiB, memsw: 96 * MiB, swap: 4 * MiB }),
  });
  const r = await render(root, ["meminfo", "swaps", "sysinfo"]);
  assertLine(r.meminfo, "SwapTotal:         32768 kB");
  assertLine(r.meminfo, "SwapFree:          28672 kB");
  assertEquals(
    r.swaps,
    "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" +
      "none".padEnd(40) + "virtual\t32768\t\t4096\t\t0\n",
  );
  assertMatch(r.sysinfo, / totalswap=33554432 freeswap=29360128 /);
});

Deno.test("meminfo and swaps (v2): memory.max, memory.current, memory.stat, swap.max 0", async () => {
  const root = fakeTree({
    ...HOST_PROC,
    "cgroup/memory.max": `${64 * MiB}\n`,
    "cgroup/memory.current": `${20 * MiB}\n`,
    "cgroup/memory.swap.max": "0\n",
    "cgroup/memory.swap.current": "0\n",
    "cgroup/memory.stat": [
      `anon ${8 * MiB}`,
      `file ${10 * MiB}`,
      `kernel_stack ${64 * 1024}`,
      `pagetables ${128 * 1024}`,
      `shmem ${1 * MiB}`,
      `file_mapped ${2 * MiB}`,
      "file_dirty 4096",
      "file_writeback 0",
      "swapcached 0",
      `anon_thp ${2 * MiB}`,
      `active_anon ${7 * MiB}`,
      `inactive_anon ${1 * MiB}`,
      `active_file ${6 * MiB}`,
      `inactive_file ${4 * MiB}`,
      "unevictable 0",
      `slab_reclaimable ${1 * MiB}`,
      `slab_unreclaimable ${512 * 1024}`,
      "",
    ].join("\n"),
  });
  const r = await render(root, ["meminfo", "swaps", "sysinfo"], { v2: true });
  assertLine(r.meminfo, "MemTotal:          65536 kB");
  assertLine(r.meminfo, "MemFree:           45056 kB");
  // free + file pages + reclaimable slab = 44 + 10 + 1 MiB
  assertLine(r.meminfo, "MemAvailable:      56320 kB");
  assertLine(r.meminfo, "Cached:            10240 kB");
  assertLine(r.meminfo, "Slab:               1536 kB");
  assertLine(r.meminfo, "SReclaimable:       1024 kB");
  assertLine(r.meminfo, "KernelStack:          64 kB");
  assertLine(r.meminfo, "PageTables:          128 kB");
  assertLine(r.meminfo, "SwapTotal:             0 kB");
  assertEquals(r.swaps, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
  assertMatch(
    r.sysinfo,
    / totalram=67108864 freeram=46137344 sharedram=1048576 bufferram=0 totalswap=0 freeswap=0 /,
  );
});

function cpuTree(o: { cpus: string; quota?: number; v2?: boolean }, extra = {}) {
  const files: Record<string, string> = { ...HOST_PROC, ...extra };
  if (o.v2) {
    files["cgroup/cpuset.cpus.effective"] = `${o.cpus}\n`;
    files["cgroup/cpu.max"] = o.quota ? `${o.quota} 100000\n` : "max 100000\n";
  } else {
    files["cpuset/cpuset.effective_cpus"] = `${o.cpus}\n`;
    files["cpu/cpu.cfs_quota_us"] = `${o.quota ?? -1}\n`;
    files["cpu/cpu.cfs_period_us"] = "100000\n";
  }
  return fakeTree(files);
}

Deno.test("CPUs: min(cpuset, ceil(quota/period)); cpuinfo shows the cpuset's first, renumbered", async () => {
  const r = await render(cpuTree({ cpus: "0-3", quota: 150000 }), ["cpu_online", "cpuinfo"]);
  assertEquals(r.cpu_online, "0-1\n"); // 1.5 CPUs of quota: 2
  assertEquals(r.cpuinfo, cpuBlock(0) + cpuBlock(1));

  const set = await render(cpuTree({ cpus: "2-3" }), ["cpu_online", "cpuinfo"]);
  assertEquals(set.cpu_online, "0-1\n");
  // host CPUs 2 and 3 (their core ids and apicids), numbered 0 and 1
  assertEquals(
    set.cpuinfo,
    cpuBlock(2).replace("processor\t: 2", "processor\t: 0") +
      cpuBlock(3).replace("processor\t: 3", "processor\t: 1"),
  );

  const one = await render(cpuTree({ cpus: "1,3", quota: 100000 }), ["cpu_online", "cpuinfo"]);
  assertEquals(one.cpu_online, "0\n");
  assertEquals(one.cpuinfo, cpuBlock(1).replace("processor\t: 1", "processor\t: 0"));

  const v2 = await render(cpuTree({ cpus: "0-3", quota: 50000, v2: true }), ["cpu_online"], {
    v2: true,
  });
  assertEquals(v2.cpu_online, "0\n");

  // no cpuset and no quota: the host's CPUs (its /proc/stat's cpuN lines)
  assertEquals((await render(fakeTree(HOST_PROC), ["cpu_online"])).cpu_online, "0-3\n");
});

function statLines(text: string): number[][] {
  return text.split("\n").filter((l) => l.startsWith("cpu")).map((l) =>
    l.split(/\s+/).slice(1).map(Number)
  );
}

const USAGE_ALL = "cpu user system\n0 30000000000 10000000000\n1 20000000000 5000000000\n" +
  "2 7000000000 3000000000\n3 0 0\n";

Deno.test("stat and uptime (v1): per-CPU times from cpuacct.usage_all, idle the rest of the uptime", async () => {
  const root = cpuTree({ cpus: "0-1" }, { "cpuacct/cpuacct.usage_all": USAGE_ALL });
  const r = await render(root, ["stat", "uptime"], { uptime: 1000 });
  const lines = statLines(r.stat);
  assertEquals(r.stat.split("\n").filter((l) => l.startsWith("cpu")).map((l) => l.split(" ")[0]), [
    "cpu",
    "cpu0",
    "cpu1",
  ]);
  const up = 100000; // 1000 s in USER_HZ ticks
  // user, nice, system, idle: host CPU 0 is cpu0, host CPU 1 is cpu1 (ns / 10^7)
  assertEquals(lines[1].slice(0, 3), [3000, 0, 1000]);
  assertEquals(lines[2].slice(0, 3), [2000, 0, 500]);
  assertEquals(lines[0].slice(0, 3), [5000, 0, 1500]);
  for (const [i, busy] of [[1, 4000], [2, 2500]]) {
    assert(Math.abs(lines[i][3] - (up - busy)) <= 2, `cpu${i - 1} idle ${lines[i][3]}`);
  }
  assertEquals(lines[0][3], lines[1][3] + lines[2][3]);
  assertEquals(lines.map((l) => l.slice(4)), lines.map(() => [0, 0, 0, 0, 0, 0]));
  // the host's other lines, in their place
  assertEquals(r.stat.split("\n").slice(3).join("\n"), HOST_STAT.split("\n").slice(5).join("\n"));

  const [u, idle] = r.uptime.trim().split(" ").map(Number);
  assert(u >= 1000 && u < 1000.05, `uptime ${r.uptime}`);
  assert(Math.abs(idle - (2 * u - 65)) < 0.1, `idle ${idle} = 2 CPUs x uptime - 65 s busy`);
});

Deno.test("stat (v1, quota): fewer CPUs than the cpuset share the totals evenly", async () => {
  const root = cpuTree({ cpus: "0-3", quota: 200000 }, { "cpuacct/cpuacct.usage_all": USAGE_ALL });
  const lines = statLines((await render(root, ["stat"], { uptime: 1000 })).stat);
  assertEquals(lines.length, 3);
  // 57 s user and 18 s system over all host CPUs, 2 visible CPUs
  assertEquals(lines[1].slice(0, 3), [2850, 0, 900]);
  assertEquals(lines[2].slice(0, 3), [2850, 0, 900]);
});

Deno.test("stat (v2): cpu.stat totals over the visible CPUs; no CPU accounting: the host's", async () => {
  const root = cpuTree({ cpus: "0-1", v2: true }, {
    "cgroup/cpu.stat": "usage_usec 30000000\nuser_usec 20000000\nsystem_usec 10000000\n",
  });
  const lines = statLines((await render(root, ["stat"], { v2: true, uptime: 100 })).stat);
  assertEquals(lines.map((l) => l.slice(0, 3)), [[2000, 0, 1000], [1000, 0, 500], [1000, 0, 500]]);

  assertEquals((await render(cpuTree({ cpus: "0-1" }), ["stat"])).stat, HOST_STAT);
});

/** The kernel's fixed-point load average (kernel/sched/loadavg.c), sampled `n` times. */
function kernelLoad(active: number, n: number): string {
  const FIXED_1 = 2048, exps = [1884, 2014, 2037];
  const avg = [0, 0, 0];
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < 3; i++) {
      let v = avg[i] * exps[i] + active * FIXED_1 * (FIXED_1 - exps[i]);
      if (active * FIXED_1 >= avg[i]) v += FIXED_1 - 1;
      avg[i] = Math.floor(v / FIXED_1);
    }
  }
  return avg.map((a) => {
    const x = a + FIXED_1 / 200;
    return `${x >> 11}.${String(((x & (FIXED_1 - 1)) * 100) >> 11).padStart(2, "0")}`;
  }).join(" ");
}

function status(state: string, nspid: string): string {
  return `Name:\tsh\nUmask:\t0022\nState:\t${state}\nTgid:\t1\nNSpid:\t${nspid}\nPPid:\t0\n`;
}

Deno.test("loadavg and sysinfo loads: the kernel's decay over the R and D tasks of the cgroup tree", async () => {
  const root = fakeTree({
    ...HOST_PROC,
    "cpu/tasks": "101\n102\n103\n104\n",
    "cpu/sub/tasks": "105\n",
    "cpu/cpu.cfs_quota_us": "-1\n",
    "pids/pids.current": "5\n",
    "proc/101/status": status("R (running)", "101\t1"),
    "proc/102/status": status("S (sleeping)", "102\t7"),
    "proc/103/status": status("D (disk sleep)", "103\t3"),
    "proc/104/status": status("R (running)", "104\t4"),
    "proc/105/status": status("R (running)", "105\t9"),
  });
  const samples = Array(12).fill("sample");
  const r = await render(root, [...samples, "loadavg", "sysinfo"]);
  // R, D, R and the sub-cgroup's R: 4 active, 3 running, 5 tasks, pid 9 the highest
  assertEquals(r.loadavg, `${kernelLoad(4, 12)} 3/5 9\n`);
  const m = /loads=(\d+),(\d+),(\d+) .* procs=(\d+) mem_unit=1/.exec(r.sysinfo);
  assert(m, r.sysinfo);
  const l1 = Number(m[1]) / 65536;
  assert(Math.abs(l1 - Number(kernelLoad(4, 12).split(" ")[0])) < 0.01, `load1 ${l1}`);
  assertEquals(m[4], "5");

  assertEquals((await render(root, ["loadavg"])).loadavg, "0.00 0.00 0.00 0/0 0\n");
});

Deno.test("diskstats: the devices the cgroup did I/O on, with its requests and sectors", async () => {
  const v1 = fakeTree({
    ...HOST_PROC,
    "blkio/blkio.throttle.io_serviced_recursive": [
      "254:0 Read 120",
      "254:0 Write 30",
      "254:0 Discard 2",
      "254:0 Total 152",
      "7:0 Read 0",
      "Total 152",
      "",
    ].join("\n"),
    "blkio/blkio.throttle.io_service_bytes_recursive": [
      "254:0 Read 1048576",
      "254:0 Write 524288",
      "254:0 Discard 4096",
      "Total 1576960",
      "",
    ].join("\n"),
    "blkio/blkio.throttle.io_serviced": "254:0 Read 999999\n",
  });
  assertEquals(
    (await render(v1, ["diskstats"])).diskstats,
    " 254       0 vda 120 0 2048 0 30 0 1024 0 0 0 0 2 0 8 0 0 0\n",
  );

  const v2 = fakeTree({
    ...HOST_PROC,
    "cgroup/io.stat": "254:1 rbytes=8192 wbytes=0 rios=2 wios=0 dbytes=0 dios=0\n",
  });
  assertEquals(
    (await render(v2, ["diskstats"], { v2: true })).diskstats,
    " 254       1 vda1 2 0 16 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
  );

  assertEquals((await render(fakeTree(HOST_PROC), ["diskstats"])).diskstats, HOST_DISKSTATS);
});

Deno.test("sysinfo: memory as meminfo, procs from pids.current, uptime rounded up, unit 1", async () => {
  const root = fakeTree({
    ...HOST_PROC,
    "memory/memory.usage_in_bytes": `${16 * MiB}\n`,
    "memory/memory.stat": v1MemoryStat({ limit: 64 * MiB }),
    "pids/pids.current": "3\n",
  });
  const r = await render(root, ["sysinfo"], { uptime: 41 });
  assertEquals(
    r.sysinfo,
    "uptime=42 loads=0,0,0 totalram=67108864 freeram=50331648 sharedram=1048576 bufferram=0 " +
      "totalswap=1073741824 freeswap=1065353216 procs=3 mem_unit=1\n",
  );

  // no limit: the host's figures
  const host = await render(fakeTree(HOST_PROC), ["sysinfo"]);
  const k = 1024;
  assertMatch(
    host.sysinfo,
    new RegExp(
      ` totalram=${24683584 * k} freeram=${23635948 * k} sharedram=${9864 * k} ` +
        `bufferram=${22644 * k} totalswap=${1048576 * k} freeswap=${1040384 * k} `,
    ),
  );
});
