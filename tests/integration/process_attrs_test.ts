// Integration tests (root): process and linux attributes set in the init (sysctl, personality,
// scheduler, ioPriority, execCPUAffinity, oomScoreAdj, time offsets, recursive mount attributes,
// per-mount propagation), each observed from inside the container, and each refusal checked
// for its message, its exit status and that nothing is left behind.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, type SpecObject, uniqueId, WORK } from "../helpers/bundle.ts";
import {
  moat,
  moatToFile,
  mountsMentioning,
  processesMentioning,
  ROOT,
  runBundle,
} from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

async function inside(script: string, edit?: (s: SpecObject) => void) {
  const bundle = makeBundle(["sh", "-c", script], edit);
  const r = await runBundle(bundle, uniqueId("attr"));
  assertEquals(r.stderr, "", "no error");
  assertEquals(r.code, 0);
  return r.stdout.trim().split("\n").map((l) => l.trim());
}

/** create must fail with `message`, exit 1 and leave no state, process or mount behind. */
async function refused(edit: (s: SpecObject) => void, message: string) {
  const bundle = makeBundle(["true"], edit);
  const id = uniqueId("refused");
  const r = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
  assertEquals(r.code, 1, `create should fail with ${message}`);
  assertStringIncludes(r.stderr, message);
  assertEquals((await moat(["state", id])).code, 1);
  let left = true;
  try {
    Deno.statSync(`${ROOT}/${id}`);
  } catch {
    left = false;
  }
  assert(!left, "state directory removed");
  assertEquals(processesMentioning(id), []);
  assertEquals(mountsMentioning(id), []);
}

Deno.test({
  name: "attrs: linux.sysctl sets namespaced keys inside, the host keeps its values",
  ...root,
  async fn() {
    const hostShm = Deno.readTextFileSync("/proc/sys/kernel/shmmax").trim();
    const hostFwd = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward").trim();
    const out = await inside(
      "cat /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max " +
        "/proc/sys/net/ipv4/ip_forward /proc/sys/kernel/domainname",
      (s) => {
        s.linux.sysctl = {
          "kernel.shmmax": "123456789",
          "fs/mqueue/msg_max": "42",
          "net.ipv4.ip_forward": hostFwd === "1" ? "0" : "1",
          "kernel.domainname": "sysctl.example",
        };
      },
    );
    assertEquals(out, ["123456789", "42", hostFwd === "1" ? "0" : "1", "sysctl.example"]);
    assertEquals(Deno.readTextFileSync("/proc/sys/kernel/shmmax").trim(), hostShm);
    assertEquals(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward").trim(), hostFwd);
  },
});

Deno.test({
  name: "attrs: sysctls outside the container's namespaces are refused by JSON path",
  ...root,
  async fn() {
    await refused((s) => {
      s.linux.sysctl = { "vm.swappiness": "10" };
    }, `linux.sysctl["vm.swappiness"]: not namespaced, cannot be set in a container`);
    await refused((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: SpecObject) => n.type !== "network");
      s.linux.sysctl = { "net.ipv4.ip_forward": "1" };
    }, `linux.sysctl["net.ipv4.ip_forward"]: needs a network namespace of the container's own`);
    await refused((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: SpecObject) => n.type !== "ipc");
      s.linux.sysctl = { "kernel.shmmax": "1" };
    }, `linux.sysctl["kernel.shmmax"]: needs an IPC namespace of the container's own`);
    await refused((s) => {
      s.linux.sysctl = { "kernel.hostname": "x" };
    }, `linux.sysctl["kernel.hostname"]: conflicts with the "hostname" field`);
    // namespaced, but the kernel refuses the value: the init's error names the key
    await refused((s) => {
      s.linux.sysctl = { "net.ipv4.no_such_key": "1" };
    }, `linux.sysctl["net.ipv4.no_such_key"]: open /proc/sys/net/ipv4/no_such_key`);
  },
});

Deno.test({
  name: "attrs: process.oomScoreAdj is what the workload sees",
  ...root,
  async fn() {
    assertEquals(
      await inside("cat /proc/self/oom_score_adj", (s) => (s.process.oomScoreAdj = 123)),
      ["123"],
    );
  },
});

Deno.test({
  name: "attrs: linux.personality LINUX32 and flags; an unknown flag is refused",
  ...root,
  async fn() {
    const out = await inside("uname -m; cat /proc/self/personality", (s) => {
      s.linux.personality = { domain: "LINUX32", flags: ["ADDR_NO_RANDOMIZE"] };
    });
    assertEquals(out, ["i686", "00040008"]);
    await refused((s) => {
      s.linux.personality = { domain: "LINUX", flags: ["NO_SUCH_FLAG"] };
    }, `linux.personality.flags[0]: unknown personality flag "NO_SUCH_FLAG"`);
  },
});

/** nice (field 19), rt_priority (40) and policy (41) of /proc/self/stat. */
const SCHED_FIELDS = "cut -d' ' -f19,40,41 /proc/self/stat";

Deno.test({
  name: "attrs: process.scheduler (sched_setattr); runc's rules refuse bad combinations",
  ...root,
  async fn() {
    assertEquals(
      await inside(SCHED_FIELDS, (s) => (s.process.scheduler = { policy: "SCHED_BATCH", nice: 7 })),
      ["7 0 3"],
    );
    assertEquals(
      // a real-time policy needs real-time runtime in the container's cgroup (cgroup v1 cpu)
      await inside(SCHED_FIELDS, (s) => {
        s.process.scheduler = { policy: "SCHED_RR", priority: 10 };
        s.linux.resources = {
          ...s.linux.resources,
          cpu: { realtimeRuntime: 10000, realtimePeriod: 1000000 },
        };
      }),
      ["0 10 2"],
    );
    await refused((s) => {
      s.process.scheduler = { policy: "SCHED_OTHER", priority: 5 };
    }, "process.scheduler.priority: can only be set for SCHED_FIFO or SCHED_RR");
    await refused((s) => {
      s.process.scheduler = { policy: "SCHED_ISO" };
    }, "process.scheduler.policy: SCHED_ISO is not implemented by Linux");
    // accepted by moat, refused by the kernel: the init names the field
    await refused((s) => {
      s.process.scheduler = {
        policy: "SCHED_DEADLINE",
        runtime: 2_000_000,
        deadline: 1_000_000,
        period: 1_000_000,
      };
    }, "process.scheduler: sched_setattr: invalid argument");
  },
});

Deno.test({
  name: "attrs: process.ioPriority (ioprio_set) as busybox ionice reports it",
  ...root,
  async fn() {
    assertEquals(
      await inside("ionice -p $$", (s) => {
        s.process.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 6 };
      }),
      ["best-effort: prio 6"],
    );
    assertEquals(
      await inside("ionice -p $$", (s) => (s.process.ioPriority = { class: "IOPRIO_CLASS_IDLE" })),
      ["idle"],
    );
  },
});

Deno.test({
  name: "attrs: process.execCPUAffinity initial before exec, final after it",
  ...root,
  async fn() {
    const cpus = navigator.hardwareConcurrency;
    const last = String(cpus - 1);
    const list = "grep Cpus_allowed_list /proc/self/status | cut -f2";
    assertEquals(
      await inside(list, (s) => (s.process.execCPUAffinity = { initial: last })),
      [last],
    );
    // final is applied by the sentry once execve succeeded: a child forked a moment later has it
    assertEquals(
      await inside(`sleep 0.3; ${list}`, (s) => {
        s.process.execCPUAffinity = { initial: last, final: "0" };
      }),
      ["0"],
    );
    await refused((s) => {
      s.process.execCPUAffinity = { initial: "9000" };
    }, "process.execCPUAffinity.initial: CPU 9000 is above the limit of 8191");
    await refused((s) => {
      s.process.execCPUAffinity = { initial: "4000" };
    }, "process.execCPUAffinity.initial: sched_setaffinity: invalid argument");
  },
});

Deno.test({
  name: "attrs: AppArmor and SELinux labels are refused on this host",
  ...root,
  async fn() {
    await refused(
      (s) => (s.process.apparmorProfile = "moat-default"),
      "process.apparmorProfile: AppArmor is not enabled on this host",
    );
    await refused(
      (s) => (s.process.selinuxLabel = "system_u:system_r:container_t:s0"),
      "process.selinuxLabel: SELinux is not enabled on this host",
    );
    await refused(
      (s) => (s.linux.mountLabel = "system_u:object_r:container_file_t:s0"),
      "linux.mountLabel: SELinux is not enabled on this host",
    );
  },
});

Deno.test({
  name: "attrs: a time namespace with linux.timeOffsets shifts /proc/uptime",
  ...root,
  async fn() {
    const offset = 10_000_000; // 115 days
    const host = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
    const out = await inside("cut -d' ' -f1 /proc/uptime", (s) => {
      s.linux.namespaces.push({ type: "time" });
      s.linux.timeOffsets = { boottime: { secs: offset }, monotonic: { secs: 1000 } };
    });
    const seen = Number(out[0]);
    assert(seen >= host + offset - 1 && seen < host + offset + 60, `uptime ${seen}, host ${host}`);
    // a time namespace without offsets is fine too; offsets without one are refused
    assertEquals(await inside("echo ok", (s) => s.linux.namespaces.push({ type: "time" })), [
      "ok",
    ]);
    await refused((s) => {
      s.linux.timeOffsets = { boottime: { secs: 5 } };
    }, 'linux.timeOffsets: needs a new time namespace (add "time" to linux.namespaces)');
  },
});

/** A host directory with a tmpfs mounted inside it, for recursive mount attributes. */
function treeWithSubmount(): { dir: string; cleanup: () => void } {
  const dir = `${WORK}/rtree-${uniqueId("r")}`;
  Deno.mkdirSync(`${dir}/sub`, { recursive: true });
  const mount = new Deno.Command("mount", { args: ["-t", "tmpfs", "tmpfs", `${dir}/sub`] })
    .outputSync();
  assert(mount.success, "mount tmpfs");
  return {
    dir,
    cleanup() {
      new Deno.Command("umount", { args: ["-l", `${dir}/sub`] }).outputSync();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

Deno.test({
  name: "attrs: rro makes a bind and its submounts read-only; plain ro does not reach submounts",
  ...root,
  async fn() {
    const t = treeWithSubmount();
    try {
      const probe = "touch /t/top 2>/dev/null && echo top-rw || echo top-ro; " +
        "touch /t/sub/f 2>/dev/null && echo sub-rw || echo sub-ro";
      const ro = await inside(probe, (s) => {
        s.mounts.push({ destination: "/t", type: "bind", source: t.dir, options: ["rbind", "ro"] });
      });
      assertEquals(ro, ["top-ro", "sub-rw"]);
      const rro = await inside(probe, (s) => {
        s.mounts.push({
          destination: "/t",
          type: "bind",
          source: t.dir,
          options: ["rbind", "rro"],
        });
      });
      assertEquals(rro, ["top-ro", "sub-ro"]);
      // rnoexec / rnosuid / rnodev show in mountinfo of the submount too
      const info = await inside("grep ' /t/sub ' /proc/self/mountinfo | cut -d' ' -f6", (s) => {
        s.mounts.push({
          destination: "/t",
          type: "bind",
          source: t.dir,
          options: ["rbind", "rnoexec", "rnosuid", "rnodev", "rnoatime"],
        });
      });
      const opts = info[0].split(",");
      for (const o of ["noexec", "nosuid", "nodev", "noatime"]) assert(opts.includes(o), info[0]);
    } finally {
      t.cleanup();
    }
  },
});

Deno.test({
  name: "attrs: per-mount propagation shows in the container's mountinfo",
  ...root,
  async fn() {
    const dir = `${WORK}/prop-${uniqueId("p")}`;
    Deno.mkdirSync(dir, { recursive: true });
    /** optional fields (7th column up to "-") of the mount at /p */
    const fields =
      'awk \'$5 == "/p" { o=""; for (i=7; $i != "-"; i++) o=o $i " "; print o "|" }\' /proc/self/mountinfo';
    const prop = async (option: string) =>
      (await inside(fields, (s) => {
        s.mounts.push({ destination: "/p", type: "bind", source: dir, options: ["bind", option] });
      }))[0];
    assertEquals(await prop("private"), "|");
    assert((await prop("shared")).startsWith("shared:"), "shared peer group");
    assertEquals(await prop("unbindable"), "unbindable |");
    // rslave (the default root propagation) of a shared host mount: a master, no peers
    const slave = await prop("rslave");
    assert(!slave.includes("shared:"), slave);
    Deno.removeSync(dir, { recursive: true });
  },
});
