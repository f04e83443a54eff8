// The sentry's virtual /proc files against the real kernel (root): the harness makes a v1
// cgroup with a 64 MiB limit and one CPU of quota, the FUSE mount as the sentry will
// (fsopen/fsmount), and a workload that binds the files over /proc and /sys as the init will
// and runs busybox; a server process answers /dev/fuse like the sentry's loop.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, uniqueId } from "../helpers/bundle.ts";
import { type HarnessResult, serve } from "../helpers/vfs_harness.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };
const LIMIT = ["--mem", String(64 * 1024 * 1024), "--quota", "100000"];

/** Output sections of a script that prints "== name" before each part. */
function sections(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of stdout.split(/^== /m).slice(1)) {
    const nl = part.indexOf("\n");
    out[part.slice(0, nl)] = part.slice(nl + 1);
  }
  return out;
}

function script(parts: Record<string, string>): string {
  return Object.entries(parts).map(([name, cmd]) => `echo "== ${name}"; ${cmd}`).join("\n");
}

/** Every run leaves no cgroup behind and ends with the server seeing the unmount. */
function assertClean(r: HarnessResult) {
  assertEquals(r.leftover, [], "cgroups left behind");
  assertStringIncludes(r.stderr, "server: stopped: ENODEV");
}

function tmpDir(): string {
  return Deno.makeTempDirSync({ prefix: "moat-vfs-" });
}

Deno.test({
  name: "vfs: 64 MiB and one CPU of quota in meminfo, cpuinfo, stat, cpu/online, uptime, loadavg",
  ...root,
  async fn() {
    const r = await serve(
      uniqueId("vfs"),
      LIMIT,
      script({
        meminfo: "cat /proc/meminfo", // busybox cat: sendfile, through the page cache
        meminfo_read: "$HARNESS probe chunks /proc/meminfo 65536", // read(2)
        cpuinfo: "cat /proc/cpuinfo",
        stat: "cat /proc/stat",
        online: "cat /sys/devices/system/cpu/online",
        uptime: "cat /proc/uptime",
        loadavg: "cat /proc/loadavg",
        swaps: "cat /proc/swaps",
        mounts: "grep ' - fuse.moat moat ' /proc/self/mountinfo | cut -d' ' -f4,5",
        // three tasks: the shell, sleep and the probe
        sysinfo: "sleep 10 & $HARNESS probe sysinfo; kill $!",
      }),
    );
    assertEquals(r.code, 0, r.stderr);
    assertClean(r);
    assertStringIncludes(r.stderr, "workload: bound 8");
    const s = sections(r.stdout);
    assert(s.meminfo.startsWith("MemTotal:          65536 kB\n"), s.meminfo);
    const free = Number(/^MemFree: +(\d+) kB$/m.exec(s.meminfo)?.[1]);
    assert(free > 0 && free < 65536, `MemFree ${free}`);
    assertEquals(
      s.meminfo.split("\n").map((l) => l.split(":")[0]),
      s.meminfo_read.split("\n").map((l) => l.split(":")[0]),
    );
    assert(s.meminfo_read.startsWith("MemTotal:          65536 kB\n"), s.meminfo_read);
    assertEquals((s.cpuinfo.match(/^processor\t: /gm) ?? []).length, 1);
    assertMatch(s.cpuinfo, /^processor\t: 0\n/);
    assertEquals(
      s.stat.split("\n").filter((l) => l.startsWith("cpu")).map((l) => l.split(" ")[0]),
      [
        "cpu",
        "cpu0",
      ],
    );
    assertMatch(s.stat, /^btime \d+$/m);
    assertEquals(s.online, "0\n");
    const [up, idle] = s.uptime.trim().split(" ").map(Number);
    assert(up >= 0 && up < 30, `uptime ${up} counts from the container's start`);
    assert(idle >= 0 && idle <= up + 0.01, `idle ${idle} of one CPU`);
    assertMatch(s.loadavg, /^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+\/\d+ \d+\n$/);
    assertEquals(s.swaps, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"); // no swap here
    assertEquals(s.mounts.trim().split("\n").sort(), [
      "/cpu_online /sys/devices/system/cpu/online",
      "/cpuinfo /proc/cpuinfo",
      "/diskstats /proc/diskstats",
      "/loadavg /proc/loadavg",
      "/meminfo /proc/meminfo",
      "/stat /proc/stat",
      "/swaps /proc/swaps",
      "/uptime /proc/uptime",
    ]);
    assertMatch(s.sysinfo, /^uptime=\d+ loads=\d+,\d+,\d+ totalram=67108864 freeram=\d+ /);
    assertMatch(s.sysinfo, / procs=3 mem_unit=1\n$/);
  },
});

Deno.test({
  name: "vfs: values follow the cgroup: usage, then a raised limit and quota (as update does)",
  ...root,
  async fn() {
    const dir = tmpDir();
    try {
      const cg = "/sys/fs/cgroup/%s/$HARNESS_CGROUP";
      const r = await serve(
        uniqueId("vfs"),
        LIMIT,
        script({
          before: "grep MemFree /proc/meminfo",
          // 16 MiB of tmpfs pages, charged to the cgroup (the tmpfs goes with the namespace)
          used: `mount -t tmpfs none ${dir} && dd if=/dev/zero of=${dir}/f bs=1M count=16 ` +
            "2>/dev/null && grep MemFree /proc/meminfo",
          update: `echo 134217728 > ${cg.replace("%s", "memory")}/memory.limit_in_bytes && ` +
            `echo 200000 > ${cg.replace("%s", "cpu")}/cpu.cfs_quota_us && ` +
            "head -1 /proc/meminfo; cat /sys/devices/system/cpu/online; grep -c ^cpu /proc/stat",
        }),
      );
      assertEquals(r.code, 0, r.stderr);
      assertClean(r);
      const s = sections(r.stdout);
      const kb = (t: string) => Number(/(\d+) kB/.exec(t)?.[1]);
      // the 16 MiB show in MemFree; under load the kernel may meanwhile reclaim some of the
      // cgroup's other pages (page cache of the programs run): up to 1 MiB of slack
      assert(kb(s.before) - kb(s.used) >= 16384 - 1024, `${s.before} then ${s.used}`);
      assertEquals(s.update, "MemTotal:         131072 kB\n0-1\n3\n");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "vfs: stat and reads at offsets; fstat's size is what the same fd reads",
  ...root,
  async fn() {
    const r = await serve(
      uniqueId("vfs"),
      LIMIT,
      script({
        stat: "stat -c '%a %u %g %F %h' /proc/meminfo /sys/devices/system/cpu/online",
        head: "head -c 3 /proc/meminfo; echo",
        dd: "dd if=/proc/meminfo bs=1 skip=9 count=19 2>/dev/null",
        size: "$HARNESS probe size /proc/meminfo; $HARNESS probe size /proc/stat",
        pathsize: "stat -c %s /sys/devices/system/cpu/online",
      }),
    );
    assertEquals(r.code, 0, r.stderr);
    assertClean(r);
    const s = sections(r.stdout);
    assertEquals(s.stat, "444 0 0 regular file 1\n444 0 0 regular file 1\n");
    assertEquals(s.head, "Mem\n");
    assertEquals(s.dd, "          65536 kB\n");
    for (const line of s.size.trim().split("\n")) {
      const m = /^size=(\d+) read=(\d+)$/.exec(line);
      assert(m && m[1] === m[2] && Number(m[1]) > 0, line);
    }
    assertEquals(s.pathsize, "2\n"); // "0\n"
  },
});

Deno.test({
  name:
    "vfs: no torn reads: each open reads one snapshot, 1 byte at a time, while the content changes",
  ...root,
  async fn() {
    const dir = tmpDir();
    try {
      // gen: "<n>\n" repeated 10 + n % 50 times, n = requests answered so far (so every
      // render differs); big: 300000 bytes of one letter pattern, beyond one 128 KiB READ
      const r = await serve(
        uniqueId("vfs"),
        ["--changing", "--root", dir],
        script({
          chunks: `$HARNESS probe chunks ${dir}/gen`,
          two: `$HARNESS probe two ${dir}/gen`,
          reread: `$HARNESS probe reread ${dir}/gen`,
          cat1: `cat ${dir}/gen`,
          cat2: `sleep 0.05; cat ${dir}/gen`,
          big: `$HARNESS probe chunks ${dir}/big 65536 | md5sum; $HARNESS probe size ${dir}/big`,
          bigcat: `cat ${dir}/big | wc -c`,
        }),
      );
      assertEquals(r.code, 0, r.stderr);
      assertClean(r);
      const s = sections(r.stdout);
      const snapshot = (text: string) => {
        const lines = text.trimEnd().split("\n");
        const n = Number(lines[0]);
        assert(lines.every((l) => l === lines[0]), `one snapshot: ${JSON.stringify(text)}`);
        assertEquals(lines.length, 10 + (n % 50), `the snapshot's own length: ${text}`);
        return n;
      };
      snapshot(s.chunks);
      const [a, b] = s.two.replace(/^A\n/, "").split(/^B\n/m);
      snapshot(a);
      snapshot(b);
      const [first, second] = s.reread.split("---\n");
      assert(snapshot(second) > snapshot(first), "a read at offset 0 after reading renders anew");
      assert(snapshot(s.cat2) > snapshot(s.cat1), "a later open, later content");

      const letters = (shift: number) => {
        let out = "";
        for (let i = 0; i < 300000; i++) out += String.fromCharCode(97 + ((i >> 12) + shift) % 26);
        return out;
      };
      const sums = new Set<string>();
      for (let k = 0; k < 26; k++) {
        const data = new TextEncoder().encode(letters(k));
        const md5 = new Deno.Command("md5sum", { stdin: "piped", stdout: "piped" }).spawn();
        const w = md5.stdin.getWriter();
        await w.write(data);
        await w.close();
        sums.add(new TextDecoder().decode((await md5.output()).stdout).split(" ")[0]);
      }
      const [bigSum, bigSize] = s.big.trim().split("\n");
      assert(sums.has(bigSum.split(" ")[0]), "300000 bytes of one snapshot");
      assertEquals(bigSize, "size=300000 read=300000");
      assertEquals(s.bigcat.trim(), "300000");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "vfs: writes fail with EROFS (mount and server), unknown names with ENOENT",
  ...root,
  async fn() {
    const ops = ["open-w", "open-rw", "truncate", "chmod"];
    const probe = (path: string, list: string[]) =>
      list.map((op) => `$HARNESS probe errno ${op} ${path}`).join("; ");
    const dir = tmpDir();
    const rw = tmpDir();
    try {
      const ro = await serve(
        uniqueId("vfs"),
        ["--root", dir],
        script({
          bound: probe("/proc/meminfo", ops),
          root: [
            probe(`${dir}/meminfo`, ops),
            probe(`${dir}/x`, ["mkdir", "create"]),
            probe(`${dir}/meminfo`, ["unlink", "rename"]),
            probe(`${dir}/nosuch`, ["read"]),
            probe(`${dir}/uptime`, ["read"]),
            `stat -c '%a %F' ${dir}`,
          ].join("; "),
        }),
      );
      assertEquals(ro.code, 0, ro.stderr);
      assertClean(ro);
      const s = sections(ro.stdout);
      assertEquals(s.bound, ops.map((op) => `${op} EROFS\n`).join(""));
      assertEquals(
        s.root,
        [...ops, "mkdir", "create", "unlink", "rename"].map((op) => `${op} EROFS\n`).join("") +
          "read ENOENT\nread ok\n555 directory\n",
      );

      // a read-write mount(2) with the same options: the server itself refuses every write
      const server = await serve(
        uniqueId("vfs"),
        ["--legacy-rw", rw],
        script({
          ops: [
            probe(`${rw}/meminfo`, ops),
            probe(`${rw}/x`, ["mkdir", "create"]),
            probe(`${rw}/meminfo`, ["unlink", "rename"]),
            probe(`${rw}/nosuch`, ["read"]),
            probe(`${rw}/meminfo`, ["read"]),
          ].join("; "),
          // mount options, then what follows " - ": type, source, superblock options
          mount: `grep " ${rw} " /proc/self/mountinfo | awk '{print $6}'; ` +
            `grep " ${rw} " /proc/self/mountinfo | sed 's/.* - //'`,
        }),
      );
      assertEquals(server.code, 0, server.stderr);
      assertEquals(server.leftover, []);
      const t = sections(server.stdout);
      assertEquals(
        t.ops,
        [...ops, "mkdir", "create", "unlink", "rename"].map((op) => `${op} EROFS\n`).join("") +
          "read ENOENT\nread ok\n",
      );
      assertMatch(
        t.mount,
        /^rw,nosuid,nodev,relatime\nfuse\.moat moat rw,user_id=0,group_id=0,default_permissions,allow_other\n$/,
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
      Deno.removeSync(rw, { recursive: true });
    }
  },
});

Deno.test({
  name: "vfs: when the server dies, reads fail with ENOTCONN and never show the host's file",
  ...root,
  async fn() {
    const r = await serve(
      uniqueId("vfs"),
      LIMIT,
      script({
        before: "head -1 /proc/meminfo",
        // the supervisor SIGKILLs the server on SIGUSR1; wait until that shows
        after: "kill -USR1 $PPID; while cat /proc/meminfo >/dev/null 2>&1; do sleep 0.02; done; " +
          "$HARNESS probe errno read /proc/meminfo; cat /proc/meminfo; echo cat=$?",
      }),
    );
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.leftover, []);
    const s = sections(r.stdout);
    assertEquals(s.before, "MemTotal:          65536 kB\n");
    assertEquals(s.after, "read ENOTCONN\ncat=1\n");
    assertStringIncludes(r.stderr, "Transport endpoint is not connected");
  },
});

Deno.test({
  name: "vfs: in a user namespace the files belong to the container's root",
  ...root,
  async fn() {
    const r = await serve(
      uniqueId("vfs"),
      [...LIMIT, "--userns"],
      script({
        id: "id -u; cat /proc/self/uid_map",
        stat: "stat -c '%u %g %a' /proc/meminfo /proc/stat",
        meminfo: "head -1 /proc/meminfo",
      }),
    );
    assertEquals(r.code, 0, r.stderr);
    assertClean(r);
    const s = sections(r.stdout);
    assertMatch(s.id, /^0\n +0 +100000 +65536\n$/);
    assertEquals(s.stat, "0 0 444\n0 0 444\n");
    assertEquals(s.meminfo, "MemTotal:          65536 kB\n");
  },
});

Deno.test({
  name: "vfs: a target the spec already mounted over keeps its mount",
  ...root,
  async fn() {
    const r = await serve(
      uniqueId("vfs"),
      [...LIMIT, "--cover", "/proc/meminfo"],
      script({ meminfo: "wc -c < /proc/meminfo", stat: "grep -c ^cpu0 /proc/stat" }),
    );
    assertEquals(r.code, 0, r.stderr);
    assertClean(r);
    assertStringIncludes(r.stderr, "workload: bound 7");
    assertEquals(sections(r.stdout), { meminfo: "0\n", stat: "1\n" });
  },
});

Deno.test({
  name: "vfs: loadavg counts the container's runnable tasks, decayed like the kernel's",
  ...root,
  async fn() {
    // samples every 100 ms instead of 5 s: 2 busy loops for 3 s give ~30 samples
    const r = await serve(
      uniqueId("vfs"),
      [...LIMIT, "--sample-ms", "100"],
      "(while :; do :; done) & a=$!; (while :; do :; done) & b=$!; sleep 3; " +
        "cat /proc/loadavg; kill $a $b",
    );
    assertEquals(r.code, 0, r.stderr);
    assertClean(r);
    const [l1, l5, l15, rt] = r.stdout.trim().split(" ");
    assert(Number(l1) >= 1.0 && Number(l1) <= 3.5, `load1 ${r.stdout}`);
    assert(Number(l5) > 0 && Number(l5) < Number(l1), `load5 ${r.stdout}`);
    assert(Number(l15) < Number(l5), `load15 ${r.stdout}`);
    assert(Number(rt.split("/")[0]) >= 2, `running ${r.stdout}`);
  },
});

Deno.test({
  name: "vfs: cost of a virtual /proc/meminfo; an ordinary open costs the same with the mount",
  ...root,
  async fn() {
    const r = await serve(uniqueId("vfs"), [...LIMIT, "--bench", "1000"], "true");
    assertEquals(r.code, 0, r.stderr);
    assertClean(r);
    const m = [
      ...r.stderr.matchAll(
        /^bench (\w+) meminfo_us=([\d.]+) online_us=([\d.]+) hostname_us=([\d.]+)$/gm,
      ),
    ];
    assertEquals(m.map((x) => x[1]), ["real", "fuse"]);
    const [real, fuse] = m.map((x) => ({
      meminfo: Number(x[2]),
      online: Number(x[3]),
      hostname: Number(x[4]),
    }));
    console.log(
      `open+read+close, µs: /proc/meminfo ${real.meminfo} real, ${fuse.meminfo} virtual; ` +
        `cpu/online ${real.online} real, ${fuse.online} virtual; ` +
        `/etc/hostname ${real.hostname} without the mount, ${fuse.hostname} with it`,
    );
    // best of 5 rounds each; loose enough for a loaded machine, tight enough for a per-open cost
    assert(fuse.hostname < real.hostname * 1.5 + 1, "an ordinary open pays nothing");
    assert(fuse.meminfo < 2000, "a virtual file costs round trips, not milliseconds");
  },
});
