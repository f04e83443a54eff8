import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { defaultSpec } from "../../../core/bundle/default_spec.ts";
import { decodePlan } from "../../../core/plan/decode.ts";
import { encodePlan } from "../../../core/plan/encode.ts";
import { buildPlan, containerPath } from "../../../core/plan/resolve.ts";
import { parseSpec } from "../../../core/spec/mod.ts";
import { MS } from "../../../core/linux/consts.ts";
import { parseMountOptions } from "../../../core/plan/mount_options.ts";
import { fakeHost, PLAN_OPTS, planOf } from "./fixtures.ts";

const opts = PLAN_OPTS;
const plan = planOf;

Deno.test("plan: runc's default spec resolves to absolute, numeric data", () => {
  const p = plan();
  assertEquals(p.rootfs, "/bundle/rootfs");
  assertEquals(p.rootfsReadonly, true);
  assertEquals(p.rootPropagation, MS.SLAVE | MS.REC);
  assertEquals(p.namespaces.map((n) => n.type), [
    0x20000000,
    0x40000000,
    0x08000000,
    0x04000000,
    0x00020000,
    0x02000000,
  ]);
  // CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
  assertEquals(p.caps.bounding, (1n << 29n) | (1n << 5n) | (1n << 10n));
  assertEquals(p.caps.inheritable, 0n);
  assertEquals(p.rlimits, [{ type: 7, soft: 1024n, hard: 1024n }]);
  assertEquals(p.pathDirs, [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
  ]);
  assertEquals(p.devices.map((d) => d.path), [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
  ]);
  const sys = p.mounts.find((m) => m.destination === "/sys")!;
  assertEquals(sys.flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
  const dev = p.mounts.find((m) => m.destination === "/dev")!;
  assertEquals(dev.data, "mode=755,size=65536k");
  assertEquals(dev.flags, MS.NOSUID | MS.STRICTATIME);
});

Deno.test("plan: a cgroup mount on a hybrid host becomes tmpfs + binds + symlinks", () => {
  const p = plan();
  const cg = p.mounts.filter((m) => m.destination.startsWith("/sys/fs/cgroup"));
  assertEquals(cg.map((m) => [m.destination, m.type, m.source]), [
    ["/sys/fs/cgroup", "tmpfs", "tmpfs"],
    ["/sys/fs/cgroup/unified", "", "/sys/fs/cgroup/unified/user"],
    ["/sys/fs/cgroup/cpu,cpuacct", "", "/sys/fs/cgroup/cpu,cpuacct/user"],
    ["/sys/fs/cgroup/memory", "", "/sys/fs/cgroup/memory/user"],
    ["/sys/fs/cgroup/pids", "", "/sys/fs/cgroup/pids/user"],
  ]);
  assertEquals(cg[1].flags, MS.BIND | MS.REC);
  assertEquals(cg[1].remountFlags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY);
  assert(p.symlinks.some((l) => l.path === "/sys/fs/cgroup/cpu" && l.target === "cpu,cpuacct"));
  assert(p.readonlyPaths.includes("/sys/fs/cgroup"));
});

Deno.test("plan: bind mounts get a remount for ro and a file destination for a file source", () => {
  const host = fakeHost({ "/etc/hosts": "file", "/data": "dir" });
  // deno-lint-ignore no-explicit-any
  const s: any = defaultSpec();
  s.process.terminal = false;
  s.mounts.push({
    destination: "/etc/hosts",
    type: "bind",
    source: "/etc/hosts",
    options: ["bind", "ro"],
  });
  s.mounts.push({ destination: "data", source: "/data", options: ["rbind", "nosuid", "rslave"] });
  const p = buildPlan(parseSpec(s), opts, host);
  const hosts = p.mounts.find((m) => m.destination === "/etc/hosts")!;
  assertEquals([hosts.flags, hosts.remountFlags, hosts.createFile], [MS.BIND, MS.RDONLY, true]);
  const data = p.mounts.find((m) => m.destination === "/data")!;
  assertEquals([data.flags, data.remountFlags, data.propagation], [
    MS.BIND | MS.REC,
    MS.NOSUID,
    MS.SLAVE | MS.REC,
  ]);
});

Deno.test("plan: bad inputs are clear errors naming the field", () => {
  assertThrows(
    () =>
      plan((s) =>
        s.mounts.push({
          destination: "/x",
          type: "bind",
          source: "/nonexistent-src",
          options: ["bind"],
        })
      ),
    "mounts[7].source: stat /nonexistent-src: no such file or directory",
  );
  assertThrows(
    () =>
      plan((
        s,
      ) => (s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) =>
        n.type !== "uts"
      ))),
    "hostname: unable to set hostname without a private UTS namespace",
  );
  // no mount namespace: nothing may be mounted in the caller's
  assertThrows(
    () => plan((s) => (s.linux.namespaces = [{ type: "pid" }])),
    /unable to restrict sys entries without a private MNT namespace/,
  );
  assertThrows(
    () =>
      plan((s) => {
        s.linux.namespaces = [{ type: "pid" }];
        s.linux.maskedPaths = s.linux.readonlyPaths = [];
      }),
    /^mounts\[0\]: \/proc: mounts need a private mount namespace/,
  );
  const bare = plan((s) => {
    s.linux.namespaces = [{ type: "pid" }];
    s.linux.maskedPaths = s.linux.readonlyPaths = s.mounts = [];
    s.root.readonly = false;
    delete s.hostname;
  });
  assertEquals([bare.mounts, bare.devices, bare.symlinks], [[], [], []]);
  assertThrows(
    () => plan((s) => (s.root.path = "/nonexistent-root")),
    /^root\.path: stat \/nonexistent-root/,
  );
});

Deno.test("plan: a terminal needs a console socket or the foreground relay", () => {
  const tty = (extra: Partial<typeof opts> & { consoleRelay?: boolean; consoleSocket?: string }) =>
    buildPlan(
      parseSpec({
        ...defaultSpec(),
        process: { ...(defaultSpec().process as object), consoleSize: { height: 24, width: 80 } },
      }),
      { ...opts, ...extra },
      fakeHost(),
    );
  assertThrows(
    () => tty({}),
    "process.terminal: cannot allocate tty if runc will detach without setting console socket",
  );
  assertEquals(tty({ consoleSocket: "/run/c.sock" }).terminal, {
    consoleSocket: "/run/c.sock",
    relay: false,
    rows: 24,
    cols: 80,
  });
  assertEquals(tty({ consoleRelay: true }).terminal?.relay, true);
  assertThrows(
    () =>
      plan(() => {}) &&
      buildPlan(
        parseSpec({
          ...defaultSpec(),
          process: { ...(defaultSpec().process as object), terminal: false },
        }),
        { ...opts, consoleSocket: "/x" },
        fakeHost(),
      ),
    "cannot use console socket if runc will not detach or allocate tty",
  );
  const bytes = encodePlan(tty({ consoleSocket: "/run/c.sock" }));
  assertEquals(decodePlan(bytes).terminal, {
    consoleSocket: "/run/c.sock",
    relay: false,
    rows: 24,
    cols: 80,
  });
});

Deno.test("plan: mount options map to flags, propagation and data", () => {
  assertEquals(parseMountOptions(["ro", "nosuid", "rw", "rprivate", "size=1k", "mode=755"]), {
    flags: MS.NOSUID,
    propagation: MS.PRIVATE | MS.REC,
    data: "size=1k,mode=755",
    copyUp: false,
    rattrSet: 0,
    rattrClr: 0,
  });
  // podman's --read-only tmpfs mounts: tmpcopyup is ours to do, not the filesystem's.
  assertEquals(parseMountOptions(["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]), {
    flags: MS.NOSUID | MS.NODEV,
    propagation: MS.PRIVATE | MS.REC,
    data: "",
    copyUp: true,
    rattrSet: 0,
    rattrClr: 0,
  });
  assertEquals(containerPath("a/../b/./c/"), "/b/c");
  assertEquals(containerPath("/../../etc"), "/etc");
});

Deno.test("plan: encoding round-trips through the decoder", () => {
  const p = plan((s) => {
    s.process.user = { uid: 1000, gid: 100, additionalGids: [5, 6], umask: 0o27 };
    s.process.oomScoreAdj = -500;
    s.process.rlimits.push({ type: "RLIMIT_CORE", soft: 0, hard: 2 ** 64 });
    s.domainname = "d.example";
    s.linux.namespaces[0].path = "/proc/1/ns/pid";
  });
  p.logPath = "/run/moat/c1/sentry.log";
  const bytes = encodePlan(p);
  assertEquals(new TextDecoder().decode(bytes.subarray(0, 4)), "MOAT");
  const back = decodePlan(bytes);
  assertEquals(back, p);
});

Deno.test("plan: the TypeScript decoder rejects truncation and unknown tags", () => {
  const bytes = encodePlan(plan());
  assertThrows(() => decodePlan(bytes.subarray(0, bytes.length - 3)), /length mismatch/);
  const bad = bytes.slice();
  new DataView(bad.buffer).setUint16(12, 999, true);
  assertThrows(() => decodePlan(bad), /unknown tag 999/);
});

Deno.test("plan: an exec plan joins the init's namespaces and names its target", async () => {
  const { buildExecPlan } = await import("../../../core/plan/exec_plan.ts");
  // deno-lint-ignore no-explicit-any
  const s: any = defaultSpec();
  s.process.terminal = false;
  const spec = parseSpec(s);
  const p = buildExecPlan(spec, spec.process!, {
    id: "c1",
    initPid: 4242,
    initStartTime: 987654,
    notifySocket: "/run/moat/c1/exec.notify",
    controlSocket: "/run/moat/c1/exec.sock",
    preserveFds: 0,
    capLast: 40,
  });
  assertEquals(p.namespaces.map((n) => n.path), [
    "/proc/4242/ns/pid",
    "/proc/4242/ns/net",
    "/proc/4242/ns/ipc",
    "/proc/4242/ns/uts",
    "/proc/4242/ns/mnt",
    "/proc/4242/ns/cgroup",
  ]);
  assertEquals(p.mounts, []);
  const back = decodePlan(encodePlan(p));
  assertEquals(back.execTarget, { pid: 4242, startTime: 987654 });
  assertEquals(back.exec, true);
  const { loadLibmoat } = await import("../../../ffi/libmoat.ts");
  assertEquals(loadLibmoat().planCheck(encodePlan(p)), null);
});
