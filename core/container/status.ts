// The status of a container as the OCI state reports it, derived from the record and liveness.
import { isAlive } from "../state/liveness.ts";
import type { ContainerRecord, Status } from "../state/types.ts";

export function currentStatus(r: ContainerRecord): Status {
  // before the sentry reported, the init is unknown: the container lives as long as the sentry
  if (r.status === "creating") {
    return isAlive(r.sentryPid, r.sentryStartTime) ? "creating" : "stopped";
  }
  if (!isAlive(r.pid, r.pidStartTime)) return "stopped";
  if (r.paused) return "paused";
  return r.status;
}

/** The OCI state object in runc's field order; pid is 0 once stopped. */
export function stateObject(
  r: ContainerRecord,
  status: Status,
  owner = "",
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ociVersion: r.ociVersion,
    id: r.id,
    pid: status === "stopped" ? 0 : r.pid,
    status,
    bundle: r.bundle,
    rootfs: r.rootfs,
    created: r.created,
    owner,
  };
  if (r.annotations && Object.keys(r.annotations).length > 0) out.annotations = r.annotations;
  // moat's sandbox in force (engines ignore fields they do not know)
  if (r.sandbox) {
    out.sandbox = {
      ...r.sandbox.policy,
      mediated: r.sandbox.mediated,
      refused: r.sandbox.refused,
      ...(r.sandbox.egressGuard ? { egressGuard: true } : {}),
      ...(r.sandbox.note ? { note: r.sandbox.note } : {}),
    };
  }
  // the rootfs overlay: each layer's upper (checkpoint and `tar rootfs-upper` read it)
  if (r.overlay) out.overlay = r.overlay;
  return out;
}
