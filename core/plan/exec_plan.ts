// The plan of `exec`: a new process in a running container. It joins every namespace of the
// container through the init's /proc/<pid>/ns files and gets the process settings of the exec
// request; the filesystem, devices and hostname are the container's already.
import type { Process, Spec } from "../spec/types.ts";
import { CLONE_NEW } from "../linux/consts.ts";
import { planTerminal, processFields } from "./resolve.ts";
import type { LaunchPlan } from "./types.ts";
import { emptyAttrs, execAttrs } from "./process_attrs.ts";

/** OCI namespace type → the file under /proc/<pid>/ns. */
const NS_FILE: Record<string, string> = {
  pid: "pid",
  network: "net",
  mount: "mnt",
  ipc: "ipc",
  uts: "uts",
  user: "user",
  cgroup: "cgroup",
  time: "time",
};

export interface ExecPlanOptions {
  id: string;
  initPid: number;
  /** The init's start time (clock ticks): the sentry refuses a recycled pid. */
  initStartTime: number;
  notifySocket: string;
  controlSocket: string;
  logPath?: string;
  preserveFds: number;
  consoleSocket?: string;
  consoleRelay?: boolean;
  /** --detach: release the process only once the CLI has exited (LaunchPlan.execRelease). */
  detach?: boolean;
  pidfdSocket?: string;
  capLast: number;
}

export function buildExecPlan(spec: Spec, process: Process, o: ExecPlanOptions): LaunchPlan {
  const namespaces = (spec.linux?.namespaces ?? []).map((ns) => ({
    type: CLONE_NEW[ns.type],
    path: `/proc/${o.initPid}/ns/${NS_FILE[ns.type]}`,
  }));
  const terminal = planTerminal(process.terminal === true, process.consoleSize, {
    consoleSocket: o.consoleSocket,
    consoleRelay: o.consoleRelay,
  });
  const attrs = execAttrs(process);
  return {
    containerId: o.id,
    exec: true,
    ...(emptyAttrs(attrs) ? {} : { attrs }),
    execTarget: { pid: o.initPid, startTime: o.initStartTime },
    ...(o.detach ? { execRelease: true } : {}),
    ...(o.pidfdSocket ? { pidfdSocket: o.pidfdSocket } : {}),
    ...(terminal ? { terminal } : {}),
    // Unused by an exec plan, but the decoder wants an absolute root.
    rootfs: "/",
    rootfsReadonly: false,
    rootPropagation: 0,
    noPivot: false,
    namespaces,
    mounts: [],
    devices: [],
    symlinks: [],
    maskedPaths: [],
    readonlyPaths: [],
    ...processFields(process, o.capLast),
    notifySocket: o.notifySocket,
    controlSocket: o.controlSocket,
    logPath: o.logPath,
    preserveFds: o.preserveFds,
    // runc's exec joins the container's session keyring rather than making another.
    noNewKeyring: true,
  };
}
