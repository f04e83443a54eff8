// `moat features`: the OCI features document (runtime-spec features.md, features-linux.md),
// fixed at build time, pretty-printed with 4 spaces like runc. CRI-O reads stdout+stderr
// combined, so nothing else is printed.
import { MOUNT_OPTION_NAMES } from "../../core/plan/mount_options.ts";
import { seccompFeatures } from "../../core/seccomp/features.ts";
import { CAPABILITIES, MEMORY_POLICY_FLAGS, MEMORY_POLICY_MODES } from "../../core/spec/tables.ts";
import type { Command } from "./command.ts";
import { type CriuProbe, probeCriu } from "../../core/criu/probe.ts";
import { POLICY_VALUES, TRACE_FAMILIES } from "../../core/sandbox/policy.ts";
import { OVERLAY_ANNOTATION } from "../../core/plan/overlay.ts";

/** Kernel features the sentry uses, from the running kernel's version and /dev/fuse. */
function sandboxSupport(): Record<string, unknown> {
  const [major, minor] = Deno.osRelease().split(".").map((x) => parseInt(x, 10));
  const atLeast = (a: number, b: number) => major > a || (major === a && minor >= b);
  let fuse = false;
  try {
    fuse = Deno.statSync("/dev/fuse").isCharDevice === true;
  } catch { /* no FUSE */ }
  return {
    surfaceFilter: true,
    // seccomp user notification with pidfd_getfd (5.6) and the kernel's ADDFD-era fixes (5.9)
    mediation: atLeast(5, 9),
    syncWakeUp: atLeast(6, 6),
    virtualFiles: fuse && Deno.uid() === 0,
    virtualCalls: ["sysinfo", "uname", "sched_getaffinity"],
    egress: atLeast(5, 9),
    traceFamilies: [...TRACE_FAMILIES],
  };
}

/** Namespace types moat can create or join. */
const NAMESPACES = ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"];

/** Checkpoint/restore as CRIU makes it available here (core/criu/probe.ts). */
function checkpointSupport(criu?: CriuProbe): Record<string, unknown> {
  if (!criu) return { enabled: false, reason: "not probed" };
  return {
    enabled: criu.available,
    criu: criu.binary,
    ...(criu.version ? { criuVersion: criu.version } : {}),
    ...(criu.reason ? { reason: criu.reason } : {}),
  };
}

export function featuresDocument(criu?: CriuProbe): Record<string, unknown> {
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: "1.3.0",
    hooks: [
      "prestart",
      "createRuntime",
      "createContainer",
      "startContainer",
      "poststart",
      "poststop",
    ],
    mountOptions: [...MOUNT_OPTION_NAMES],
    linux: {
      namespaces: NAMESPACES,
      capabilities: Object.keys(CAPABILITIES),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: seccompFeatures(),
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      memoryPolicy: {
        modes: Object.keys(MEMORY_POLICY_MODES),
        flags: Object.keys(MEMORY_POLICY_FLAGS),
      },
      netDevices: { enabled: true },
      // idmapped bind mounts (mounts[].uidMappings, idmap/ridmap): CRI reads this with "user"
      mountExtensions: { idmap: { enabled: true } },
    },
    annotations: {
      "io.github.seccomp.libseccomp.version": "2.5.4",
      // runc's key: engines read it to offer checkpoint/restore
      "org.opencontainers.runc.checkpoint.enabled": criu?.available ? "true" : "false",
      // moat's sandbox policy keys and the values they take (core/sandbox/policy.ts)
      ...POLICY_VALUES,
      // the rootfs overlay (core/plan/overlay.ts); the global --overlay2 takes the same values
      [OVERLAY_ANNOTATION]:
        "none|root:MEDIUM|all:MEDIUM, MEDIUM memory[,size=N[k|m|g]]|self|dir=/abs/path",
    },
    // what this host supports of the sandbox (DESIGN §4)
    "dev.moat.sandbox": sandboxSupport(),
    // checkpoint and restore run CRIU (core/criu/): whether it works on this host, and why not
    "dev.moat.checkpoint": checkpointSupport(criu),
    potentiallyUnsafeConfigAnnotations: ["bundle"],
  };
}

const command: Command = {
  flags: {},
  async run(ctx) {
    const criu = await probeCriu(ctx.criu);
    console.log(JSON.stringify(featuresDocument(criu), null, 4));
    return 0;
  },
};
export default command;
