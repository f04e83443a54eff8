// `moat features`: the OCI features document (runtime-spec features.md, features-linux.md),
// fixed at build time, pretty-printed with 4 spaces like runc. CRI-O reads stdout+stderr
// combined, so nothing else is printed.
import { MOUNT_OPTION_NAMES } from "../../core/plan/mount_options.ts";
import { seccompFeatures } from "../../core/seccomp/features.ts";
import { CAPABILITIES, MEMORY_POLICY_FLAGS, MEMORY_POLICY_MODES } from "../../core/spec/tables.ts";
import type { Command } from "./command.ts";

/** Namespace types moat can create or join. */
const NAMESPACES = ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"];

export function featuresDocument(): Record<string, unknown> {
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
      "org.opencontainers.runc.checkpoint.enabled": "false",
    },
    potentiallyUnsafeConfigAnnotations: ["bundle"],
  };
}

const command: Command = {
  flags: {},
  run() {
    console.log(JSON.stringify(featuresDocument(), null, 4));
    return Promise.resolve(0);
  },
};
export default command;
