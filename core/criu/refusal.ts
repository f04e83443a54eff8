// What CRIU cannot carry across a checkpoint in a moat container, said before anything is
// frozen: the container keeps running, unchanged.
import type { Spec } from "../spec/types.ts";
import type { ContainerRecord } from "../state/types.ts";
import { POLICY_KEYS } from "../sandbox/policy.ts";

/** Why this container cannot be checkpointed, or undefined. */
export function checkpointRefusal(r: ContainerRecord, spec: Spec): string | undefined {
  const off = `${POLICY_KEYS.mediation}=off`;
  const mediated = r.sandbox?.mediated ?? [];
  if (mediated.length > 0) {
    return `the sandbox mediates ${mediated.join(", ")} through a seccomp user-notification ` +
      "listener held by its sentry, and CRIU cannot checkpoint a seccomp listener (a restored " +
      "container would run unmediated); the container keeps running unchanged. To checkpoint " +
      `it, create it with the annotation ${off} (no virtual sysinfo/uname/files, no egress ` +
      "policy, no trace; the attack-surface filter stays)";
  }
  if ((r.sandbox?.plan?.files ?? 0) !== 0) {
    return "the sandbox serves virtual /proc files from its sentry over FUSE, which CRIU cannot " +
      "checkpoint; the container keeps running unchanged. To checkpoint it, create it with the " +
      `annotation ${off} (or ${POLICY_KEYS.virtualize}=off)`;
  }
  if (spec.linux?.seccomp?.listenerPath) {
    return "linux.seccomp.listenerPath: an engine's seccomp agent holds the container's " +
      "user-notification listener, which CRIU cannot checkpoint; the container keeps running " +
      "unchanged";
  }
  if (spec.process?.terminal) {
    return "process.terminal: CRIU's command line cannot hand a restored terminal to a console " +
      "socket (that needs criu swrk's orphan pts master); the container keeps running unchanged";
  }
  for (const ns of spec.linux?.namespaces ?? []) {
    if (ns.path && ns.type === "user") {
      return `the container joins the user namespace ${ns.path}, which CRIU cannot restore ` +
        "into; the container keeps running unchanged";
    }
  }
  return undefined;
}
