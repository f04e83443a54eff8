// Unit tests (no root): hooks and process attributes in the launch plan (tags 60-79), their
// refusals by JSON path, the TS and C decoders agreeing on them, and the hook runner.
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../../helpers/assert.ts";
import { defaultSpec } from "../../../core/bundle/default_spec.ts";
import { decodePlan } from "../../../core/plan/decode.ts";
import { encodePlan } from "../../../core/plan/encode.ts";
import { parseMountOptions } from "../../../core/plan/mount_options.ts";
import { cpuMask } from "../../../core/plan/process_attrs.ts";
import { loadLibmoat } from "../../../ffi/libmoat.ts";
import { runHook, stateJson } from "../../../core/hooks/run.ts";
import { planOf } from "./fixtures.ts";

const plan = planOf;

// deno-lint-ignore no-explicit-any
const full = (s: any) => {
  s.annotations = { a: "b" };
  s.hooks = {
    prestart: [{ path: "/bin/true" }],
    createContainer: [{ path: "/bin/cc", args: ["cc", "-x"], env: ["A=1"], timeout: 3 }],
    startContainer: [{ path: "/bin/sc" }],
  };
  s.linux.sysctl = { "net.ipv4.ip_forward": "1", "kernel/shmmax": "4096" };
  s.linux.personality = { domain: "LINUX32", flags: ["ADDR_NO_RANDOMIZE"] };
  s.process.scheduler = { policy: "SCHED_BATCH", nice: -3 };
  s.process.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 4 };
  s.process.execCPUAffinity = { initial: "0-1", final: "65" };
  s.linux.namespaces.push({ type: "time" });
  s.linux.timeOffsets = { boottime: { secs: -5, nanosecs: 7 } };
  s.mounts.push({ destination: "/r", type: "tmpfs", source: "tmpfs", options: ["rro"] });
};

Deno.test("attrs: hooks and process attributes resolve to plan data", () => {
  const a = plan(full).attrs!;
  assertEquals(a.hookPause, true);
  assertEquals(a.hooks.map((h) => [h.kind, h.index, h.args, h.env, h.timeout]), [
    ["createContainer", 0, ["cc", "-x"], ["A=1"], 3],
    // startContainer without env gets the container's; without args, argv is [path]
    [
      "startContainer",
      0,
      ["/bin/sc"],
      (defaultSpec() as { process: { env: string[] } }).process.env,
      0,
    ],
  ]);
  const state = JSON.parse(a.hooks[1].stateHead + "1" + a.hooks[1].stateTail);
  assertEquals(state, {
    ociVersion: defaultSpec().ociVersion,
    id: "c1",
    status: "created",
    pid: 1,
    bundle: "/bundle",
    annotations: { a: "b" },
  });
  assertEquals(a.sysctls, [
    { key: "net.ipv4.ip_forward", path: "net/ipv4/ip_forward", value: "1" },
    { key: "kernel/shmmax", path: "kernel/shmmax", value: "4096" },
  ]);
  assertEquals(a.personality, 0x40008);
  assertEquals(a.scheduler?.policy, 3);
  assertEquals(a.scheduler?.nice, -3);
  assertEquals(a.ioPriority, 2 << 13 | 4);
  assertEquals([...a.cpuAffinityInitial!], [3, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(a.cpuAffinityFinal!.length, 16);
  assertEquals(a.cpuAffinityFinal![8], 2);
  assertEquals(a.timeOffsets, [{ clock: 7, secs: -5n, nsecs: 7 }]);
  const m = plan(full).mounts.find((x) => x.destination === "/r")!;
  assertEquals([m.rattrSet, m.rattrClr], [1, undefined]);
  // nothing set: no attrs in the plan at all
  assertEquals(plan().attrs, undefined);
});

Deno.test("attrs: the TS and C decoders read the new tags back", () => {
  const p = plan(full);
  const bytes = encodePlan(p);
  const back = decodePlan(bytes);
  assertEquals(back.attrs, p.attrs);
  assertEquals(back.mounts, p.mounts);
  assertEquals(loadLibmoat().planCheck(bytes), null);
  // C rejects offsets without a new time namespace, and unknown bits
  const bad = plan(full);
  bad.namespaces = bad.namespaces.filter((n) => n.type !== 0x80);
  assertStringIncludes(
    loadLibmoat().planCheck(encodePlan(bad)) ?? "",
    "TIME_OFFSET without a new time namespace",
  );
  const badSysctl = plan(full);
  badSysctl.attrs!.sysctls[0].path = "../../etc/passwd";
  assertStringIncludes(loadLibmoat().planCheck(encodePlan(badSysctl)) ?? "", "SY_PATH");
});

Deno.test("attrs: refusals name the JSON path", () => {
  assertThrows(
    () => plan((s) => (s.linux.sysctl = { "vm.swappiness": "1" })),
    `linux.sysctl["vm.swappiness"]: not namespaced, cannot be set in a container`,
  );
  assertThrows(
    () =>
      plan((s) => {
        // deno-lint-ignore no-explicit-any
        s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== "ipc");
        s.linux.sysctl = { "fs.mqueue.msg_max": "1" };
      }),
    /linux\.sysctl\["fs\.mqueue\.msg_max"\]: needs an IPC namespace/,
  );
  assertThrows(
    () => plan((s) => (s.linux.sysctl = { "net..x": "1" })),
    `linux.sysctl["net..x"]: not a sysctl name`,
  );
  assertThrows(
    () => plan((s) => (s.linux.personality = { domain: "LINUX", flags: ["X"] })),
    `linux.personality.flags[0]: unknown personality flag "X"`,
  );
  assertThrows(
    () => plan((s) => (s.process.scheduler = { policy: "SCHED_FIFO" })),
    "process.scheduler.priority: must be 1..99 for SCHED_FIFO, not 0",
  );
  assertThrows(
    () => plan((s) => (s.process.scheduler = { policy: "SCHED_OTHER", runtime: 5 })),
    "process.scheduler: runtime, deadline and period can only be set for SCHED_DEADLINE",
  );
  assertThrows(
    () => plan((s) => (s.process.apparmorProfile = "p")),
    "process.apparmorProfile: AppArmor is not enabled on this host",
  );
  assertThrows(
    () => plan((s) => (s.linux.timeOffsets = { monotonic: { secs: 1 } })),
    /^linux\.timeOffsets: needs a new time namespace/,
  );
  assertThrows(() => cpuMask("8192", "final"), /execCPUAffinity\.final: CPU 8192/);
});

Deno.test("attrs: recursive mount options (runc's table)", () => {
  const p = (o: string[]) => {
    const r = parseMountOptions(o);
    return [r.rattrSet, r.rattrClr, r.data];
  };
  assertEquals(p(["rro", "rnosuid", "rnodev", "rnoexec"]), [0xf, 0, ""]);
  assertEquals(p(["rro", "rrw"]), [0, 1, ""]);
  // an access-time mode clears the whole atime field
  assertEquals(p(["rnoatime"]), [0x10, 0x70, ""]);
  assertEquals(p(["rrelatime"]), [0, 0x70, ""]);
  assertEquals(p(["rnosymfollow", "rdiratime"]), [0x200000, 0x80, ""]);
});

Deno.test("hooks: runner gives state on stdin, own env, argv, timeout and output", async () => {
  const state = { ociVersion: "1.3.0", id: "x", status: "creating" as const, pid: 9, bundle: "/b" };
  assertEquals(
    stateJson(state),
    '{"ociVersion":"1.3.0","id":"x","status":"creating","pid":9,"bundle":"/b"}',
  );
  const dir = Deno.makeTempDirSync();
  try {
    await runHook("prestart", 0, {
      path: "/bin/sh",
      args: ["sh", "-c", `cat > ${dir}/in; env > ${dir}/env`],
      env: ["ONLY=this"],
    }, state);
    assertEquals(Deno.readTextFileSync(`${dir}/in`), stateJson(state));
    const env = Deno.readTextFileSync(`${dir}/env`).split("\n").filter((l) =>
      l && !l.startsWith("PWD=")
    );
    assertEquals(env, ["ONLY=this"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  const err = await runHook("poststart", 2, {
    path: "/bin/sh",
    args: ["sh", "-c", "echo o; echo e >&2; exit 7"],
  }, state).catch((e) => e as Error);
  assertEquals(
    (err as Error).message,
    "error running poststart hook #2 (/bin/sh): exit status 7, stdout: o, stderr: e",
  );
  const t0 = Date.now();
  const slow = await runHook("createRuntime", 0, {
    path: "/bin/sh",
    args: ["sh", "-c", "echo begun; exec sleep 20"],
    timeout: 1,
  }, state).catch((e) => e as Error);
  assertEquals(
    (slow as Error).message,
    "error running createRuntime hook #0 (/bin/sh): hook ran past specified timeout of 1.0s, stdout: begun",
  );
  assert(Date.now() - t0 < 5000);
  const missing = await runHook("poststop", 0, { path: "/no/such" }, state).catch((e) =>
    e as Error
  );
  assertEquals(
    (missing as Error).message,
    "error running poststop hook #0 (/no/such): exec /no/such: no such file or directory",
  );
});
