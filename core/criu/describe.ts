// What CRIU must be told about a container, the way runc tells it (libcontainer's
// container_linux.go, Checkpoint/Restore), as CRIU command-line options: moat drives the `criu`
// CLI, not `criu swrk` (its RPC needs protobuf). Pure: the spec, the record and the options in,
// argv out, so the mapping is unit-tested without CRIU.
//
// - Bind mounts are external: dumped under their destination as the key, restored from their
//   source (`--external mnt[KEY]:PATH`), since CRIU cannot dump another filesystem's content.
// - Masked files are /dev/null bound over the path: key "/dev/null", restored from /dev/null.
// - Devices given in linux.devices, like runc: external under their path, restored from the
//   host's node of the same path (bind-mounted devices of a user namespace come back so; a
//   mknod'ed node is a plain file of the rootfs and the key is simply unused).
// - Namespaces joined by path (network, pid) are the host's or a pod's: external on dump
//   (`--external net[INODE]:extRootNetNS`), inherited as an fd on restore (`--inherit-fd`),
//   so the restored tree joins that namespace again instead of getting a copy.
// - Cgroups: CRIU manages them (runc always sets manage_cgroups) in the given mode, freezes the
//   tree through the container's freezer, and restores into the container's cgroup path.
import type { Spec } from "../spec/types.ts";
import type { ContainerRecord } from "../state/types.ts";
import type { CheckpointOptions, RestoreOptions } from "./options.ts";

/** The inherit-fd keys of runc (CRIU's criu-ns/runc documentation uses the same). */
export const EXT_NS_KEY: Record<string, string> = {
  network: "extRootNetNS",
  pid: "extRootPidNS",
};
const CRIU_NS: Record<string, string> = { network: "net", pid: "pid" };

/** A namespace joined by path that CRIU must treat as external. */
export interface ExternalNs {
  type: "network" | "pid";
  path: string;
  /** Inode of the namespace file (CRIU names the namespace by it). */
  inode: number;
}

export function isBind(m: { type?: string; options?: string[] }): boolean {
  return m.type === "bind" || (m.options ?? []).some((o) => o === "bind" || o === "rbind");
}

/** Masked paths that are files get /dev/null bound over them (directories get a tmpfs). */
export function maskedFiles(spec: Spec, root: string): string[] {
  const out: string[] = [];
  for (const p of spec.linux?.maskedPaths ?? []) {
    try {
      if (!Deno.statSync(`${root}${p}`).isDirectory) out.push(p);
    } catch { /* absent in the rootfs: nothing was mounted there */ }
  }
  return out;
}

export function externalNamespaces(spec: Spec, inodeOf: (p: string) => number): ExternalNs[] {
  const out: ExternalNs[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (!ns.path || (ns.type !== "network" && ns.type !== "pid")) continue;
    out.push({ type: ns.type, path: ns.path, inode: inodeOf(ns.path) });
  }
  return out;
}

function common(o: CheckpointOptions | RestoreOptions): string[] {
  const a: string[] = [];
  if (o.tcpEstablished) a.push("--tcp-established");
  if (o.extUnixSk) a.push("--ext-unix-sk");
  if (o.shellJob) a.push("--shell-job");
  if (o.fileLocks) a.push("--file-locks");
  if (o.autoDedup) a.push("--auto-dedup");
  // runc always asks CRIU to manage cgroups; the mode only when given
  a.push(o.manageCgroupsMode ? `--manage-cgroups=${o.manageCgroupsMode}` : "--manage-cgroups");
  return a;
}

export interface DumpInput {
  spec: Spec;
  record: ContainerRecord;
  opts: CheckpointOptions;
  maskedFiles: string[];
  externalNs: ExternalNs[];
}

/** argv of `criu dump` (or `pre-dump`). */
export function dumpArgs(d: DumpInput): string[] {
  const { spec, record, opts } = d;
  const a = [
    opts.preDump ? "pre-dump" : "dump",
    "--tree",
    String(record.pid),
    "--images-dir",
    opts.imagePath,
    "--work-dir",
    opts.workPath,
    "--log-file",
    opts.preDump ? "pre-dump.log" : "dump.log",
    "-v4",
    "--root",
    record.rootfs,
    ...common(opts),
  ];
  if (opts.leaveRunning && !opts.preDump) a.push("--leave-running");
  // memory tracking: a pre-dump always, a dump on top of a parent image
  if (opts.preDump || opts.parentPath) a.push("--track-mem");
  if (opts.parentPath) a.push("--prev-images-dir", opts.parentPath);
  if (opts.pageServer) {
    a.push("--page-server", "--address", opts.pageServer.address);
    a.push("--port", String(opts.pageServer.port));
  }
  if (opts.statusFd !== undefined) a.push("--status-fd", String(opts.statusFd));
  // the freezer: CRIU freezes the whole tree at once instead of seizing task by task
  const freezer = record.cgroup?.v1?.freezer ?? record.cgroup?.v2;
  if (freezer) a.push("--freeze-cgroup", freezer);
  for (const m of spec.mounts ?? []) {
    if (isBind(m)) a.push("--external", `mnt[${m.destination}]:${m.destination}`);
  }
  for (const p of d.maskedFiles) a.push("--external", `mnt[${p}]:/dev/null`);
  for (const dev of spec.linux?.devices ?? []) {
    a.push("--external", `mnt[${dev.path}]:${dev.path}`);
  }
  for (const ns of d.externalNs) {
    a.push("--external", `${CRIU_NS[ns.type]}[${ns.inode}]:${EXT_NS_KEY[ns.type]}`);
  }
  return a;
}

export interface RestoreInput {
  spec: Spec;
  opts: RestoreOptions;
  /** Where the rootfs is bind-mounted for CRIU to pivot into. */
  root: string;
  pidFile: string;
  /** The container's cgroup path (linux.cgroupsPath as resolved at restore). */
  cgroupPath?: string;
  /** Namespaces joined by path and the fd each is handed to CRIU on. */
  externalNs: Array<ExternalNs & { fd: number }>;
  /** The dumped init's stdio (descriptors.json) that are pipes, and our fd of each. */
  inheritStdio: Array<{ fd: number; key: string }>;
  hasMaskedFiles: boolean;
}

/** argv of `criu restore`: the restored init becomes a child of CRIU's caller (runc's choice). */
export function restoreArgs(r: RestoreInput): string[] {
  const { spec, opts } = r;
  const a = [
    "restore",
    "--images-dir",
    opts.imagePath,
    "--work-dir",
    opts.workPath,
    "--log-file",
    "restore.log",
    "-v4",
    "--root",
    r.root,
    // the restored tree's root is a sibling of CRIU, i.e. our child, and CRIU exits once the
    // tree runs: the engine reaps the init as it does after create
    "--restore-sibling",
    "--restore-detached",
    "--pidfile",
    r.pidFile,
    ...common(opts),
  ];
  if (r.cgroupPath) a.push("--cgroup-root", r.cgroupPath);
  if (opts.lsmProfile) a.push("--lsm-profile", opts.lsmProfile);
  if (opts.lsmMountContext) a.push("--lsm-mount-context", opts.lsmMountContext);
  for (const ns of opts.emptyNs) if (ns === "network") a.push("--empty-ns", "net");
  for (const m of spec.mounts ?? []) {
    if (isBind(m) && m.source) a.push("--external", `mnt[${m.destination}]:${m.source}`);
  }
  if (r.hasMaskedFiles) a.push("--external", "mnt[/dev/null]:/dev/null");
  for (const dev of spec.linux?.devices ?? []) {
    a.push("--external", `mnt[${dev.path}]:${dev.path}`);
  }
  for (const ns of r.externalNs) a.push("--inherit-fd", `fd[${ns.fd}]:${EXT_NS_KEY[ns.type]}`);
  for (const s of r.inheritStdio) a.push("--inherit-fd", `fd[${s.fd}]:${s.key}`);
  return a;
}
