// What moat tells CRIU (core/criu/describe.ts) and how checkpoint/restore flags are checked
// (core/criu/options.ts): pure, no CRIU, no root.
import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { dumpArgs, restoreArgs } from "../../../core/criu/describe.ts";
import {
  type CheckpointOptions,
  emptyNamespaces,
  manageCgroupsMode,
  pageServer,
  refuseLazyPages,
  type RestoreOptions,
} from "../../../core/criu/options.ts";
import { checkpointRefusal } from "../../../core/criu/refusal.ts";
import { resolvePolicy } from "../../../core/sandbox/policy.ts";
import { sandboxFilter } from "../../../core/sandbox/filter.ts";
import type { Spec } from "../../../core/spec/types.ts";
import type { ContainerRecord } from "../../../core/state/types.ts";

const spec = {
  ociVersion: "1.3.0",
  root: { path: "/r" },
  process: { args: ["sh"], cwd: "/" },
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/data", type: "none", source: "/host/data", options: ["rbind", "ro"] },
    { destination: "/etc/hosts", type: "bind", source: "/host/hosts" },
  ],
  linux: {
    devices: [{ type: "c", path: "/dev/fuse", major: 10, minor: 229 }],
    namespaces: [{ type: "pid" }, { type: "network", path: "/run/netns/pod" }, { type: "mount" }],
  },
} as unknown as Spec;

const record = {
  id: "c",
  pid: 4242,
  rootfs: "/r",
  cgroup: { v1: { freezer: "/sys/fs/cgroup/freezer/moat/c" }, path: "/moat/c" },
} as unknown as ContainerRecord;

const base = {
  imagePath: "/img",
  workPath: "/work",
  tcpEstablished: false,
  extUnixSk: false,
  shellJob: false,
  fileLocks: false,
  emptyNs: [],
  autoDedup: false,
  lazyPages: false,
};
const ck: CheckpointOptions = { ...base, leaveRunning: false, preDump: false };

function has(args: string[], ...seq: string[]): boolean {
  return args.some((_, i) => seq.every((s, j) => args[i + j] === s));
}

Deno.test("criu dump: tree, dirs, root, cgroups, external mounts, devices, namespaces", () => {
  const a = dumpArgs({
    spec,
    record,
    opts: { ...ck, tcpEstablished: true, extUnixSk: true, shellJob: true, autoDedup: true },
    maskedFiles: ["/proc/keys"],
    externalNs: [{ type: "network", path: "/run/netns/pod", inode: 4026532001 }],
  });
  assertEquals(a.slice(0, 3), ["dump", "--tree", "4242"]);
  for (
    const seq of [
      ["--images-dir", "/img"],
      ["--work-dir", "/work"],
      ["--log-file", "dump.log"],
      ["--root", "/r"],
      ["--manage-cgroups"],
      ["--freeze-cgroup", "/sys/fs/cgroup/freezer/moat/c"],
      ["--tcp-established"],
      ["--ext-unix-sk"],
      ["--shell-job"],
      ["--auto-dedup"],
      ["--external", "mnt[/data]:/data"],
      ["--external", "mnt[/etc/hosts]:/etc/hosts"],
      ["--external", "mnt[/proc/keys]:/dev/null"],
      ["--external", "mnt[/dev/fuse]:/dev/fuse"],
      ["--external", "net[4026532001]:extRootNetNS"],
    ]
  ) assert(has(a, ...seq), `${seq.join(" ")} in ${a.join(" ")}`);
  assert(!a.some((x) => x.includes("/proc]")), "proc is CRIU's to dump");
  assert(!a.includes("--leave-running") && !a.includes("--track-mem"));
});

Deno.test("criu dump: pre-dump tracks memory; a dump on a parent; leave-running; page server", () => {
  const pre = dumpArgs({
    spec,
    record,
    opts: { ...ck, preDump: true },
    maskedFiles: [],
    externalNs: [],
  });
  assertEquals(pre[0], "pre-dump");
  assert(has(pre, "--track-mem") && has(pre, "--log-file", "pre-dump.log"));
  const d = dumpArgs({
    spec,
    record,
    opts: {
      ...ck,
      parentPath: "../pre",
      leaveRunning: true,
      manageCgroupsMode: "strict",
      pageServer: { address: "::1", port: 2000 },
    },
    maskedFiles: [],
    externalNs: [],
  });
  assert(has(d, "--prev-images-dir", "../pre") && has(d, "--track-mem"));
  assert(has(d, "--leave-running") && has(d, "--manage-cgroups=strict"));
  assert(has(d, "--page-server", "--address", "::1", "--port", "2000"));
});

Deno.test("criu restore: a sibling of the caller, detached, mounts from their sources", () => {
  const opts: RestoreOptions = {
    ...base,
    bundle: "/b",
    detach: true,
    noPivot: false,
    noSubreaper: false,
    lsmProfile: "apparmor:x",
    emptyNs: ["network"],
  };
  const a = restoreArgs({
    spec,
    opts,
    root: "/state/c/criu-root",
    pidFile: "/state/c/restored.pid",
    cgroupPath: "/moat/c2",
    externalNs: [{ type: "network", path: "/run/netns/pod", inode: 1, fd: 20 }],
    inheritStdio: [{ fd: 1, key: "pipe:[77]" }],
    hasMaskedFiles: true,
  });
  assertEquals(a[0], "restore");
  for (
    const seq of [
      ["--restore-sibling"],
      ["--restore-detached"],
      ["--pidfile", "/state/c/restored.pid"],
      ["--root", "/state/c/criu-root"],
      ["--cgroup-root", "/moat/c2"],
      ["--lsm-profile", "apparmor:x"],
      ["--empty-ns", "net"],
      ["--external", "mnt[/data]:/host/data"],
      ["--external", "mnt[/etc/hosts]:/host/hosts"],
      ["--external", "mnt[/dev/null]:/dev/null"],
      ["--external", "mnt[/dev/fuse]:/dev/fuse"],
      ["--inherit-fd", "fd[20]:extRootNetNS"],
      ["--inherit-fd", "fd[1]:pipe:[77]"],
    ]
  ) assert(has(a, ...seq), `${seq.join(" ")} in ${a.join(" ")}`);
});

Deno.test("checkpoint flags: runc's values or an error naming the flag", () => {
  assertEquals(manageCgroupsMode("soft"), "soft");
  assertEquals(manageCgroupsMode(undefined), undefined);
  assertThrows(() => manageCgroupsMode("hard"), /--manage-cgroups-mode/);
  assertEquals(pageServer("10.0.0.1:27"), { address: "10.0.0.1", port: 27 });
  assertEquals(pageServer("[fd00::1]:27"), { address: "fd00::1", port: 27 });
  assertThrows(() => pageServer("10.0.0.1"), /--page-server/);
  assertThrows(() => pageServer("h:0"), /--page-server/);
  assertEquals(emptyNamespaces(["network", "network"]), ["network"]);
  assertThrows(() => emptyNamespaces(["ipc"]), /--empty-ns/);
  assertThrows(() => refuseLazyPages(true, "checkpoint"), /--lazy-pages/);
  refuseLazyPages(false, "checkpoint");
});

Deno.test("checkpoint refusal: mediation, virtual files, an agent's listener, a terminal", () => {
  const plain = { ...record, sandbox: { policy: {}, mediated: [], refused: ["kexec_load"] } };
  assertEquals(checkpointRefusal(plain as ContainerRecord, spec), undefined);
  const mediating = { ...record, sandbox: { policy: {}, mediated: ["uname"], refused: [] } };
  const why = checkpointRefusal(mediating as ContainerRecord, spec) ?? "";
  assert(why.includes("uname") && why.includes("dev.moat.mediation=off"), why);
  const files = {
    ...record,
    sandbox: { policy: {}, mediated: [], refused: [], plan: { files: 1 } },
  } as unknown as ContainerRecord;
  assert(checkpointRefusal(files, spec)?.includes("FUSE"));
  const agent = { ...spec, linux: { seccomp: { listenerPath: "/a.sock" } } } as unknown as Spec;
  assert(checkpointRefusal(plain as ContainerRecord, agent)?.includes("listenerPath"));
  const tty = { ...spec, process: { ...spec.process, terminal: true } } as Spec;
  assert(checkpointRefusal(plain as ContainerRecord, tty)?.includes("process.terminal"));
});

Deno.test("policy: dev.moat.mediation=off mediates nothing; mediating keys conflict", () => {
  const p = resolvePolicy({ "dev.moat.mediation": "off" });
  assertEquals(sandboxFilter(p, { bounding: 0n, agentListener: false })?.mediated ?? [], []);
  assertEquals([p.virtualize, p.egress.deny, p.trace], [false, [], []]);
  assertEquals(p.surface, "default");
  // the defaults mediate (virtual sysinfo/uname)
  const d = resolvePolicy({});
  assert((sandboxFilter(d, { bounding: 0n, agentListener: false })?.mediated ?? []).length > 0);
  // explicit "off" values agree with it
  resolvePolicy({
    "dev.moat.mediation": "off",
    "dev.moat.virtualize": "off",
    "dev.moat.egress.deny": "",
  });
  for (
    const [k, v] of [
      ["dev.moat.virtualize", "on"],
      ["dev.moat.egress.default", "deny"],
      ["dev.moat.egress.allow", "10.0.0.0/8"],
      ["dev.moat.trace", "exec"],
      ["dev.moat.uname.release", "5.4"],
    ]
  ) {
    assertThrows(() => resolvePolicy({ "dev.moat.mediation": "off", [k]: v }), new RegExp(k));
  }
  assertThrows(() => resolvePolicy({ "dev.moat.mediation": "maybe" }), /dev.moat.mediation/);
});
