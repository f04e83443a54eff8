// The options of `checkpoint` and `restore`, with runc's flag names and meanings (runc's
// checkpoint.go / restore.go), checked before anything runs: a bad value is an error naming the
// flag and nothing is touched.
import { RuntimeError } from "../state/errors.ts";

export const MANAGE_CGROUPS_MODES = ["soft", "full", "strict", "ignore"] as const;
export type ManageCgroupsMode = typeof MANAGE_CGROUPS_MODES[number];

/** --empty-ns takes runc's namespace names; CRIU creates those empty (the caller fills them). */
export const EMPTY_NS = ["network"] as const;

/** Shared by both commands. */
export interface CriuCommon {
  /** Absolute. */
  imagePath: string;
  /** Absolute; CRIU's logs (dump.log, restore.log) go here. Default: the image path. */
  workPath: string;
  tcpEstablished: boolean;
  extUnixSk: boolean;
  shellJob: boolean;
  fileLocks: boolean;
  manageCgroupsMode?: ManageCgroupsMode;
  emptyNs: string[];
  autoDedup: boolean;
  lazyPages: boolean;
}

export interface CheckpointOptions extends CriuCommon {
  /** Relative to the image path, as CRIU takes it (--prev-images-dir). */
  parentPath?: string;
  leaveRunning: boolean;
  preDump: boolean;
  statusFd?: number;
  pageServer?: { address: string; port: number };
}

export interface RestoreOptions extends CriuCommon {
  bundle: string;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  noSubreaper: boolean;
  lsmProfile?: string;
  lsmMountContext?: string;
}

export function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

export function manageCgroupsMode(v: string | undefined): ManageCgroupsMode | undefined {
  if (v === undefined || v === "") return undefined;
  if (!(MANAGE_CGROUPS_MODES as readonly string[]).includes(v)) {
    throw new RuntimeError(
      `invalid --manage-cgroups-mode "${v}": must be one of ${MANAGE_CGROUPS_MODES.join(", ")}`,
    );
  }
  return v as ManageCgroupsMode;
}

export function emptyNamespaces(values: string[]): string[] {
  for (const v of values) {
    if (!(EMPTY_NS as readonly string[]).includes(v)) {
      throw new RuntimeError(`invalid --empty-ns "${v}": only "network" is supported`);
    }
  }
  return [...new Set(values)];
}

/** runc's --page-server ADDRESS:PORT (IPv6 in brackets). */
export function pageServer(v: string | undefined): { address: string; port: number } | undefined {
  if (v === undefined || v === "") return undefined;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new RuntimeError(`invalid --page-server "${v}": must be ADDRESS:PORT`);
  }
  return { address: m[1].replace(/^\[|\]$/g, ""), port };
}

/** An open fd of this process (runc hands --status-fd to CRIU). */
export function statusFd(v: string | undefined): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (!/^\d+$/.test(v)) throw new RuntimeError(`invalid --status-fd "${v}": must be an fd number`);
  const fd = Number(v);
  try {
    Deno.statSync(`/proc/self/fd/${fd}`);
  } catch {
    throw new RuntimeError(`invalid --status-fd ${fd}: not an open file descriptor`);
  }
  return fd;
}

/**
 * --lazy-pages: CRIU's lazy restore needs its lazy-pages daemon and a page server beside the
 * restore (userfaultfd); moat does not run them, so it refuses instead of dumping an image that
 * cannot come back.
 */
export function refuseLazyPages(lazy: boolean, verb: string): void {
  if (lazy) {
    throw new RuntimeError(
      `${verb}: --lazy-pages is not supported by moat (it does not run CRIU's lazy-pages ` +
        "daemon and page server); checkpoint without it",
    );
  }
}

/** --parent-path: CRIU resolves it against the image directory; it must be a previous image. */
export function checkParent(imagePath: string, parent: string | undefined): string | undefined {
  if (parent === undefined || parent === "") return undefined;
  const resolved = parent.startsWith("/") ? parent : `${imagePath}/${parent}`;
  try {
    if (!Deno.statSync(resolved).isDirectory) throw new Error("not a directory");
  } catch {
    throw new RuntimeError(
      `invalid --parent-path ${parent}: ${resolved} is not a directory of a previous (pre-)dump`,
    );
  }
  return parent;
}
