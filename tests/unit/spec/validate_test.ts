import {
  CAPABILITIES,
  NAMESPACES,
  parseOciVersion,
  parseSpec,
  requireProcess,
  RLIMITS,
  type Spec,
  SpecError,
} from "../../../core/spec/mod.ts";
import { everyFieldSpec, runcDefaultSpec } from "./fixtures.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

// ---- tiny assertion helpers (keeps this suite free of remote imports) ----

function assertEquals(actual: unknown, expected: unknown, msg = ""): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${msg}\nexpected: ${e}\nactual:   ${a}`);
}

function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

function specErrorOf(raw: unknown): SpecError {
  try {
    parseSpec(raw);
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error("parseSpec accepted an invalid config");
}

/** Applies `edit` to a fresh runc default config and returns the SpecError message. */
function rejectMessage(edit: (c: Loose) => void, base: () => Spec = runcDefaultSpec): string {
  const c: Loose = base();
  edit(c);
  return specErrorOf(c).message;
}

// ---- valid configs ----

Deno.test("runc default spec parses and is returned unchanged", () => {
  const spec = parseSpec(runcDefaultSpec());
  assertEquals(spec, runcDefaultSpec());
  assertEquals(requireProcess(spec).args, ["sh"]);
});

Deno.test("runc default spec survives a JSON round trip", () => {
  const spec = parseSpec(JSON.parse(JSON.stringify(runcDefaultSpec())));
  assertEquals(spec.linux?.namespaces?.length, 5);
});

Deno.test("config with every field set parses", () => {
  const spec = parseSpec(everyFieldSpec());
  assertEquals(spec, everyFieldSpec());
  assertEquals(spec.linux?.resources?.memory?.limit, 2 ** 63);
  assertEquals(spec.process?.rlimits?.[1].hard, 2 ** 64);
});

for (
  const v of [
    "1.0.0",
    "1.0.1",
    "1.0.2",
    "1.0.2-dev",
    "1.0.0-rc5",
    "1.1.0",
    "1.1.0-rc.1",
    "1.2.0",
    "1.2.1",
    "1.3.0",
    "1.3.7+build.5",
  ]
) {
  Deno.test(`ociVersion ${v} is accepted`, () => {
    const c = runcDefaultSpec();
    c.ociVersion = v;
    assertEquals(parseSpec(c).ociVersion, v);
  });
}

Deno.test("ociVersion 1.3.0 parses with the full field set", () => {
  const c = everyFieldSpec();
  assertEquals(c.ociVersion, "1.3.0");
  parseSpec(c);
});

Deno.test("parseOciVersion splits SemVer", () => {
  assertEquals(parseOciVersion("1.1.0-rc.1"), { major: 1, minor: 1, patch: 0, prerelease: "rc.1" });
  assertEquals(parseOciVersion("1.2"), undefined);
});

Deno.test("unknown properties are ignored and kept", () => {
  const c: Loose = runcDefaultSpec();
  c.windows = { layerFolders: [] };
  c.process.commandLine = 42; // windows-only, not validated
  c.process.futureThing = { x: 1 };
  c.linux.resources.memory = { limit: 1, notYetInvented: "?" };
  c.linux.namespaces[0].extra = true;
  const spec: Loose = parseSpec(c);
  assertEquals(spec.windows, { layerFolders: [] });
  assertEquals(spec.process.futureThing, { x: 1 });
  assertEquals(spec.linux.resources.memory.notYetInvented, "?");
  assertEquals(spec.linux.namespaces[0].extra, true);
});

Deno.test("null optional members count as absent and are dropped", () => {
  const c: Loose = runcDefaultSpec();
  c.hooks = null;
  c.process.rlimits = null;
  c.linux.resources.devices[0].type = null;
  const spec: Loose = parseSpec(c);
  assert(!("hooks" in spec) && !("rlimits" in spec.process), "nulls dropped");
  assert(!("type" in spec.linux.resources.devices[0]), "nested null dropped");
});

Deno.test("null required member is reported missing", () => {
  assertEquals(rejectMessage((c) => c.root.path = null), "root.path: missing");
});

Deno.test("result is a deep copy of the input", () => {
  const c = runcDefaultSpec();
  const spec = parseSpec(c);
  spec.process!.args.push("-c");
  spec.linux!.maskedPaths!.length = 0;
  assertEquals(c.process!.args, ["sh"]);
  assertEquals(c.linux!.maskedPaths!.length, 10);
});

Deno.test("process may be absent; requireProcess then throws", () => {
  const c = runcDefaultSpec();
  delete c.process;
  const spec = parseSpec(c);
  let err: unknown;
  try {
    requireProcess(spec);
  } catch (e) {
    err = e;
  }
  assert(err instanceof SpecError, "SpecError expected");
  assertEquals(err.message, "process: missing (required to create a container)");
  assertEquals(err.path, "process");
});

Deno.test("SpecError carries path and what", () => {
  const e = specErrorOf({ ...runcDefaultSpec(), hostname: 7 });
  assert(e instanceof Error);
  assertEquals([e.name, e.path, e.what], ["SpecError", "hostname", "must be a string"]);
});

Deno.test("the first problem in spec order is reported", () => {
  const msg = rejectMessage((c) => {
    c.linux.namespaces[0].type = "bogus";
    c.process.cwd = "relative";
    c.mounts[0].destination = 1;
  });
  assertEquals(msg, "process.cwd: must be an absolute path");
});

Deno.test("capability and rlimit tables", () => {
  const caps = Object.entries(CAPABILITIES);
  assertEquals(caps.length, 41);
  assertEquals(CAPABILITIES.CAP_CHOWN, 0);
  assertEquals(CAPABILITIES.CAP_SYS_ADMIN, 21);
  assertEquals(CAPABILITIES.CAP_CHECKPOINT_RESTORE, 40);
  assertEquals(new Set(caps.map(([, n]) => n)).size, 41);
  assertEquals(Object.keys(RLIMITS).length, 16);
  assertEquals([RLIMITS.RLIMIT_NOFILE, RLIMITS.RLIMIT_RTTIME], [7, 15]);
  assertEquals(NAMESPACES.user, 0x10000000);
  assert(!("toString" in CAPABILITIES), "tables have no prototype");
});

// ---- invalid configs: [edit, exact message] ----

const BAD: [string, (c: Loose) => void, string][] = [
  // top level
  ["document", (c) => c.root = undefined, "root: missing"],
  ["ociVersion", (c) => delete c.ociVersion, "ociVersion: missing"],
  ["ociVersion", (c) => c.ociVersion = 1.0, "ociVersion: must be a string"],
  [
    "ociVersion",
    (c) => c.ociVersion = "2.0.0",
    'ociVersion: unsupported version "2.0.0" (supported: 1.0.0 to 1.3.x)',
  ],
  [
    "ociVersion",
    (c) => c.ociVersion = "1.4.0-rc.1",
    'ociVersion: unsupported version "1.4.0-rc.1" (supported: 1.0.0 to 1.3.x)',
  ],
  [
    "ociVersion",
    (c) => c.ociVersion = "0.6.0",
    'ociVersion: unsupported version "0.6.0" (supported: 1.0.0 to 1.3.x)',
  ],
  ["ociVersion", (c) => c.ociVersion = "1.2", 'ociVersion: invalid version "1.2" (not SemVer)'],
  [
    "ociVersion",
    (c) => c.ociVersion = "v1.0.0",
    'ociVersion: invalid version "v1.0.0" (not SemVer)',
  ],
  ["root", (c) => c.root.path = "", "root.path: must not be empty"],
  ["root", (c) => c.root.readonly = "yes", "root.readonly: must be a boolean"],
  ["root", (c) => c.root = "rootfs", "root: must be an object"],
  ["hostname", (c) => c.hostname = ["a"], "hostname: must be a string"],
  ["domainname", (c) => c.domainname = 1, "domainname: must be a string"],
  // process
  ["process", (c) => c.process = [], "process: must be an object"],
  ["process", (c) => c.process.terminal = "true", "process.terminal: must be a boolean"],
  [
    "process",
    (c) => c.process.consoleSize = { height: 24, width: 70000 },
    "process.consoleSize.width: must be an unsigned 16-bit integer",
  ],
  ["process", (c) => c.process.consoleSize = { width: 80 }, "process.consoleSize.height: missing"],
  ["process", (c) => delete c.process.user, "process.user: missing"],
  [
    "process",
    (c) => c.process.user.uid = -1,
    "process.user.uid: must be an unsigned 32-bit integer",
  ],
  [
    "process",
    (c) => c.process.user.uid = 2 ** 32,
    "process.user.uid: must be an unsigned 32-bit integer",
  ],
  [
    "process",
    (c) => c.process.user.gid = 1.5,
    "process.user.gid: must be an unsigned 32-bit integer",
  ],
  [
    "process",
    (c) => c.process.user.gid = "0",
    "process.user.gid: must be an unsigned 32-bit integer",
  ],
  [
    "process",
    (c) => c.process.user.umask = 0o10000,
    "process.user.umask: must be an integer in range 0..0o7777",
  ],
  [
    "process",
    (c) => c.process.user.additionalGids = [1, "2"],
    "process.user.additionalGids[1]: must be an unsigned 32-bit integer",
  ],
  ["process", (c) => c.process.args = [], "process.args: must be a non-empty array of strings"],
  ["process", (c) => delete c.process.args, "process.args: must be a non-empty array of strings"],
  ["process", (c) => c.process.args = "sh", "process.args: must be a non-empty array of strings"],
  ["process", (c) => c.process.args = ["sh", 1], "process.args[1]: must be a string"],
  [
    "process",
    (c) => c.process.env.push("NOVALUE"),
    "process.env[2]: must be of the form KEY=value",
  ],
  ["process", (c) => c.process.env[0] = "=x", "process.env[0]: must be of the form KEY=value"],
  ["process", (c) => c.process.env = "A=1", "process.env: must be an array"],
  ["process", (c) => delete c.process.cwd, "process.cwd: missing"],
  ["process", (c) => c.process.cwd = "tmp", "process.cwd: must be an absolute path"],
  [
    "process",
    (c) => c.process.capabilities.bounding.push("CAP_FOO"),
    'process.capabilities.bounding[3]: unknown capability "CAP_FOO"',
  ],
  [
    "process",
    (c) => c.process.capabilities.ambient[0] = "cap_kill",
    'process.capabilities.ambient[0]: unknown capability "cap_kill"',
  ],
  [
    "process",
    (c) => c.process.capabilities.effective = "CAP_KILL",
    "process.capabilities.effective: must be an array",
  ],
  [
    "process",
    (c) => c.process.capabilities = ["CAP_KILL"],
    "process.capabilities: must be an object",
  ],
  [
    "process",
    (c) => c.process.rlimits[1] = { type: "RLIMIT_FOO", hard: 1, soft: 1 },
    'process.rlimits[1].type: unknown rlimit "RLIMIT_FOO"',
  ],
  [
    "process",
    (c) => c.process.rlimits[0].soft = 2048,
    "process.rlimits[0].soft: must not exceed hard (2048 > 1024)",
  ],
  [
    "process",
    (c) => c.process.rlimits[1].type = "RLIMIT_NOFILE",
    'process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE"',
  ],
  ["process", (c) => delete c.process.rlimits[0].hard, "process.rlimits[0].hard: missing"],
  [
    "process",
    (c) => c.process.rlimits[0].hard = -1,
    "process.rlimits[0].hard: must be an unsigned 64-bit integer",
  ],
  [
    "process",
    (c) => c.process.noNewPrivileges = 1,
    "process.noNewPrivileges: must be a boolean",
  ],
  [
    "process",
    (c) => c.process.oomScoreAdj = 1001,
    "process.oomScoreAdj: must be an integer in range -1000..1000",
  ],
  ["process", (c) => c.process.apparmorProfile = {}, "process.apparmorProfile: must be a string"],
  [
    "process",
    (c) => c.process.ioPriority = { class: "IOPRIO_CLASS_X", priority: 0 },
    'process.ioPriority.class: unknown I/O priority class "IOPRIO_CLASS_X"',
  ],
  [
    "process",
    (c) => c.process.ioPriority = { class: "IOPRIO_CLASS_RT", priority: 8 },
    "process.ioPriority.priority: must be an integer in range 0..7",
  ],
  ["process", (c) => c.process.scheduler = { nice: 1 }, "process.scheduler.policy: missing"],
  [
    "process",
    (c) => c.process.scheduler = { policy: "SCHED_OTHER", nice: 20 },
    "process.scheduler.nice: must be an integer in range -20..19",
  ],
  [
    "process",
    (c) => c.process.scheduler = { policy: "SCHED_FIFO", flags: ["SCHED_FLAG_NOPE"] },
    'process.scheduler.flags[0]: unknown scheduler flag "SCHED_FLAG_NOPE"',
  ],
  [
    "process",
    (c) => c.process.execCPUAffinity = { initial: "3-1" },
    'process.execCPUAffinity.initial: must be a CPU list such as "0-3,7"',
  ],
  [
    "process",
    (c) => c.process.execCPUAffinity = { final: "0,,1" },
    'process.execCPUAffinity.final: must be a CPU list such as "0-3,7"',
  ],
  // mounts
  ["mounts", (c) => c.mounts = {}, "mounts: must be an array"],
  ["mounts", (c) => c.mounts[3].destination = 5, "mounts[3].destination: must be a string"],
  ["mounts", (c) => delete c.mounts[0].destination, "mounts[0].destination: missing"],
  ["mounts", (c) => c.mounts[6].destination = "", "mounts[6].destination: must not be empty"],
  ["mounts", (c) => c.mounts[1].options[2] = 755, "mounts[1].options[2]: must be a string"],
  ["mounts", (c) => c.mounts[0].type = false, "mounts[0].type: must be a string"],
  [
    "mounts",
    (c) => c.mounts[2].uidMappings = [{ containerID: 0, hostID: 1000, size: 0 }],
    "mounts[2].uidMappings[0].size: must be an integer in range 1..4294967295",
  ],
  // hooks
  [
    "hooks",
    (c) => c.hooks = { prestart: [{ path: "hook" }] },
    "hooks.prestart[0].path: must be an absolute path",
  ],
  [
    "hooks",
    (c) => c.hooks = { poststop: [{ path: "/a" }, { path: "/b", timeout: 0 }] },
    "hooks.poststop[1].timeout: must be a positive integer",
  ],
  [
    "hooks",
    (c) => c.hooks = { createRuntime: { path: "/a" } },
    "hooks.createRuntime: must be an array",
  ],
  [
    "hooks",
    (c) => c.hooks = { startContainer: [{ path: "/a", args: ["a", null] }] },
    "hooks.startContainer[0].args[1]: must be a string",
  ],
  [
    "hooks",
    (c) => c.hooks = { createContainer: [{ path: "/a", env: ["X"] }] },
    "hooks.createContainer[0].env[0]: must be of the form KEY=value",
  ],
  // annotations
  ["annotations", (c) => c.annotations = { a: 1 }, 'annotations["a"]: must be a string'],
  ["annotations", (c) => c.annotations = { "": "x" }, 'annotations[""]: key must not be empty'],
  ["annotations", (c) => c.annotations = ["a=b"], "annotations: must be an object"],
  // linux
  ["linux", (c) => c.linux = true, "linux: must be an object"],
  [
    "linux",
    (c) => c.linux.namespaces[2].type = "foo",
    'linux.namespaces[2].type: unknown namespace "foo"',
  ],
  [
    "linux",
    (c) => c.linux.namespaces[5].type = "pid",
    'linux.namespaces[5].type: duplicate namespace "pid"',
  ],
  [
    "linux",
    (c) => c.linux.namespaces[1].path = "proc/1/ns/net",
    "linux.namespaces[1].path: must be an absolute path",
  ],
  ["linux", (c) => delete c.linux.namespaces[4].type, "linux.namespaces[4].type: missing"],
  [
    "linux",
    (c) => c.linux.uidMappings = [{ containerID: 0, hostID: -1, size: 1 }],
    "linux.uidMappings[0].hostID: must be an unsigned 32-bit integer",
  ],
  [
    "linux",
    (c) => c.linux.gidMappings = [{ containerID: 0, hostID: 0 }],
    "linux.gidMappings[0].size: missing",
  ],
  [
    "linux",
    (c) => c.linux.devices = [{ type: "x", path: "/dev/x" }],
    'linux.devices[0].type: unknown device type "x"',
  ],
  [
    "linux",
    (c) =>
      c.linux.devices = [{ type: "p", path: "/dev/p" }, { type: "c", path: "/dev/c", minor: 1 }],
    'linux.devices[1].major: missing (required for device type "c")',
  ],
  [
    "linux",
    (c) => c.linux.devices = [{ type: "b", path: "dev/sda", major: 8, minor: 0 }],
    "linux.devices[0].path: must be an absolute path",
  ],
  [
    "linux",
    (c) => c.linux.rootfsPropagation = "bogus",
    'linux.rootfsPropagation: unknown propagation mode "bogus"',
  ],
  [
    "linux",
    (c) => c.linux.timeOffsets = { realtime: { secs: 1 } },
    'linux.timeOffsets["realtime"]: unknown clock "realtime"',
  ],
  [
    "linux",
    (c) => c.linux.timeOffsets = { monotonic: { nanosecs: 1e9 } },
    'linux.timeOffsets["monotonic"].nanosecs: must be an integer in range 0..999999999',
  ],
  [
    "linux",
    (c) => c.linux.netDevices = { eth0: { name: 0 } },
    'linux.netDevices["eth0"].name: must be a string',
  ],
  ["linux", (c) => c.linux.cgroupsPath = 1, "linux.cgroupsPath: must be a string"],
  [
    "linux",
    (c) => c.linux.sysctl = { "net.ipv4.ip_forward": 1 },
    'linux.sysctl["net.ipv4.ip_forward"]: must be a string',
  ],
  [
    "linux",
    (c) => c.linux.maskedPaths[9] = "proc/scsi",
    "linux.maskedPaths[9]: must be an absolute path",
  ],
  ["linux", (c) => c.linux.readonlyPaths = "/proc", "linux.readonlyPaths: must be an array"],
  [
    "linux",
    (c) => c.linux.personality = { domain: "LINUX64" },
    'linux.personality.domain: unknown personality domain "LINUX64"',
  ],
  [
    "linux",
    (c) => c.linux.intelRdt = { schemata: "L3:0=f" },
    "linux.intelRdt.schemata: must be an array",
  ],
  [
    "linux",
    (c) => c.linux.memoryPolicy = { mode: "MPOL_RANDOM" },
    'linux.memoryPolicy.mode: unknown memory policy mode "MPOL_RANDOM"',
  ],
  // linux.resources
  [
    "resources",
    (c) => c.linux.resources.devices[0].access = "rwx",
    "linux.resources.devices[0].access: must be made of the letters r, w and m",
  ],
  [
    "resources",
    (c) => delete c.linux.resources.devices[0].allow,
    "linux.resources.devices[0].allow: missing",
  ],
  [
    "resources",
    (c) => c.linux.resources.devices[0].type = "p",
    'linux.resources.devices[0].type: unknown device type "p"',
  ],
  [
    "resources",
    (c) => c.linux.resources.memory = { limit: -2 },
    "linux.resources.memory.limit: must be -1 (unlimited) or a non-negative 64-bit integer",
  ],
  [
    "resources",
    (c) => c.linux.resources.memory = { limit: "1G" },
    "linux.resources.memory.limit: must be -1 (unlimited) or a non-negative 64-bit integer",
  ],
  [
    "resources",
    (c) => c.linux.resources.memory = { swappiness: 101 },
    "linux.resources.memory.swappiness: must be an integer in range 0..100",
  ],
  [
    "resources",
    (c) => c.linux.resources.memory = { disableOOMKiller: "no" },
    "linux.resources.memory.disableOOMKiller: must be a boolean",
  ],
  [
    "resources",
    (c) => c.linux.resources.cpu = { cpus: 3 },
    "linux.resources.cpu.cpus: must be a string",
  ],
  [
    "resources",
    (c) => c.linux.resources.cpu = { quota: 1.5 },
    "linux.resources.cpu.quota: must be a signed 64-bit integer",
  ],
  [
    "resources",
    (c) => c.linux.resources.cpu = { shares: 2 ** 65 },
    "linux.resources.cpu.shares: must be an unsigned 64-bit integer",
  ],
  [
    "resources",
    (c) => c.linux.resources.pids = { limit: "max" },
    "linux.resources.pids.limit: must be a signed 64-bit integer",
  ],
  [
    "resources",
    (c) => c.linux.resources.blockIO = { weight: 65536 },
    "linux.resources.blockIO.weight: must be an unsigned 16-bit integer",
  ],
  [
    "resources",
    (c) => c.linux.resources.blockIO = { throttleReadBpsDevice: [{ major: 8, minor: 0 }] },
    "linux.resources.blockIO.throttleReadBpsDevice[0].rate: missing",
  ],
  [
    "resources",
    (c) => c.linux.resources.blockIO = { weightDevice: [{ minor: 0, weight: 10 }] },
    "linux.resources.blockIO.weightDevice[0].major: missing",
  ],
  [
    "resources",
    (c) => c.linux.resources.hugepageLimits = [{ pageSize: "", limit: 1 }],
    `linux.resources.hugepageLimits[0].pageSize: must be a hugepage size such as "2MB" or "1GB"`,
  ],
  [
    "resources",
    (c) => c.linux.resources.network = { priorities: [{ name: "eth0", priority: "1" }] },
    "linux.resources.network.priorities[0].priority: must be an unsigned 32-bit integer",
  ],
  [
    "resources",
    (c) => c.linux.resources.rdma = { mlx5_1: { hcaHandles: -3 } },
    'linux.resources.rdma["mlx5_1"].hcaHandles: must be an unsigned 32-bit integer',
  ],
  [
    "resources",
    (c) => c.linux.resources.unified = { "memory.max": 5 },
    'linux.resources.unified["memory.max"]: must be a string',
  ],
  // linux.seccomp
  [
    "seccomp",
    (c) => c.linux.seccomp = { defaultAction: "SCMP_ACT_NOPE" },
    'linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_NOPE"',
  ],
  ["seccomp", (c) => c.linux.seccomp = {}, "linux.seccomp.defaultAction: missing"],
  [
    "seccomp",
    (c) => c.linux.seccomp.syscalls[1].names = [],
    "linux.seccomp.syscalls[1].names: must be a non-empty array of strings",
  ],
  [
    "seccomp",
    (c) => c.linux.seccomp.syscalls[0].names[1] = "",
    "linux.seccomp.syscalls[0].names[1]: must not be empty",
  ],
  [
    "seccomp",
    (c) => c.linux.seccomp.syscalls[2].action = "ALLOW",
    'linux.seccomp.syscalls[2].action: unknown seccomp action "ALLOW"',
  ],
  [
    "seccomp",
    (c) => c.linux.seccomp.syscalls[2].args[0].op = "SCMP_CMP_FOO",
    'linux.seccomp.syscalls[2].args[0].op: unknown seccomp operator "SCMP_CMP_FOO"',
  ],
  [
    "seccomp",
    (c) => c.linux.seccomp.syscalls[1].args[0].index = 6,
    "linux.seccomp.syscalls[1].args[0].index: must be an integer in range 0..5",
  ],
  [
    "seccomp",
    (c) => delete c.linux.seccomp.syscalls[1].args[0].value,
    "linux.seccomp.syscalls[1].args[0].value: missing",
  ],
  [
    "seccomp",
    (c) => c.linux.seccomp.architectures[1] = "SCMP_ARCH_Z80",
    'linux.seccomp.architectures[1]: unknown seccomp architecture "SCMP_ARCH_Z80"',
  ],
  [
    "seccomp",
    (c) => c.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_NEW_LISTENER"],
    'linux.seccomp.flags[0]: unknown seccomp flag "SECCOMP_FILTER_FLAG_NEW_LISTENER"',
  ],
  [
    "seccomp",
    (c) => c.linux.seccomp.defaultErrnoRet = -1,
    "linux.seccomp.defaultErrnoRet: must be an unsigned 32-bit integer",
  ],
];

for (const [section, edit, message] of BAD) {
  Deno.test(`rejects (${section}) ${message}`, () => {
    assertEquals(rejectMessage(edit, everyFieldSpec), message);
  });
}

Deno.test("bad cases cover many distinct messages", () => {
  assert(new Set(BAD.map(([, , m]) => m)).size >= 100, "at least 100 distinct messages");
});

Deno.test("non-object documents are rejected", () => {
  for (const raw of [null, "{}", 1, []]) {
    assertEquals(specErrorOf(raw).message, "config: must be a JSON object");
  }
});
