// Turns a LaunchPlan into the versioned TLV bytes the C decoder reads (sentry/PROTOCOL.md §1).
import {
  DeviceTag,
  IdMapTag,
  MountTag,
  NetDeviceTag,
  NsTag,
  PLAN_MAGIC,
  PLAN_VERSION,
  RlimitTag,
  SymlinkTag,
  Tag,
} from "./tags.ts";
import type { LaunchPlan, PlanIdMap } from "./types.ts";
import { encodeAttrs } from "./attrs_codec.ts";
import { encodeSandbox } from "./sandbox_codec.ts";
import { encodeOverlays } from "./overlay_codec.ts";

const utf8 = new TextEncoder();

/** Accumulates records; nested records are built with a child writer. */
class RecordWriter {
  #chunks: Uint8Array[] = [];
  #length = 0;

  #record(tag: number, value: Uint8Array): void {
    const head = new Uint8Array(8);
    const view = new DataView(head.buffer);
    view.setUint16(0, tag, true);
    view.setUint16(2, 0, true);
    view.setUint32(4, value.length, true);
    this.#chunks.push(head, value);
    this.#length += 8 + value.length;
  }

  str(tag: number, value: string | undefined): void {
    if (value === undefined) return;
    if (value.includes("\0")) throw new Error(`plan: string for tag ${tag} contains a NUL byte`);
    this.#record(tag, utf8.encode(value));
  }

  u64(tag: number, value: number | bigint | undefined): void {
    if (value === undefined) return;
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
    this.#record(tag, bytes);
  }

  flag(tag: number, on: boolean): void {
    if (on) this.u64(tag, 1);
  }

  raw(tag: number, value: Uint8Array | undefined): void {
    if (value !== undefined) this.#record(tag, value);
  }

  nest(tag: number, fill: (w: RecordWriter) => void): void {
    const child = new RecordWriter();
    fill(child);
    this.#record(tag, child.bytes());
  }

  get length(): number {
    return this.#length;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let off = 0;
    for (const c of this.#chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

/** Id maps (a user namespace's, or an idmapped mount's): one nest per line of the map. */
function idMaps(w: RecordWriter, tag: number, maps: readonly PlanIdMap[]): void {
  for (const m of maps) {
    w.nest(tag, (e) => {
      e.u64(IdMapTag.CONTAINER, m.containerID);
      e.u64(IdMapTag.HOST, m.hostID);
      e.u64(IdMapTag.SIZE, m.size);
    });
  }
}

export function encodePlan(p: LaunchPlan): Uint8Array {
  const w = new RecordWriter();
  w.str(Tag.CONTAINER_ID, p.containerId);
  w.str(Tag.ROOTFS, p.rootfs);
  w.flag(Tag.ROOTFS_READONLY, p.rootfsReadonly);
  w.u64(Tag.ROOT_PROPAGATION, p.rootPropagation);
  w.flag(Tag.NO_PIVOT, p.noPivot);
  w.str(Tag.HOSTNAME, p.hostname);
  w.str(Tag.DOMAINNAME, p.domainname);
  for (const ns of p.namespaces) {
    w.nest(Tag.NAMESPACE, (n) => {
      n.u64(NsTag.TYPE, ns.type);
      n.str(NsTag.PATH, ns.path);
    });
  }
  for (const m of p.mounts) {
    w.nest(Tag.MOUNT, (n) => {
      n.str(MountTag.SOURCE, m.source);
      n.str(MountTag.DEST, m.destination);
      n.str(MountTag.TYPE, m.type);
      n.u64(MountTag.FLAGS, m.flags);
      n.str(MountTag.DATA, m.data);
      n.u64(MountTag.PROPAGATION, m.propagation);
      n.u64(MountTag.REMOUNT_FLAGS, m.remountFlags);
      n.u64(MountTag.CREATE, m.createFile ? 1 : 0);
      if (m.copyUp) n.u64(MountTag.COPYUP, 1);
      if (m.idmap) {
        idMaps(n, MountTag.UIDMAP, m.idmap.uidMaps);
        idMaps(n, MountTag.GIDMAP, m.idmap.gidMaps);
        n.flag(MountTag.IDMAP_RECURSIVE, m.idmap.recursive);
      }
      if (m.rattrSet) n.u64(MountTag.RATTR_SET, m.rattrSet);
      if (m.rattrClr) n.u64(MountTag.RATTR_CLR, m.rattrClr);
    });
  }
  if (p.overlays) encodeOverlays(w, p.overlays);
  for (const d of p.devices) {
    w.nest(Tag.DEVICE, (n) => {
      n.str(DeviceTag.PATH, d.path);
      n.u64(DeviceTag.MODE, d.mode);
      n.u64(DeviceTag.MAJOR, d.major);
      n.u64(DeviceTag.MINOR, d.minor);
      n.u64(DeviceTag.UID, d.uid);
      n.u64(DeviceTag.GID, d.gid);
      if (d.bindFrom !== undefined) {
        n.u64(DeviceTag.BIND, 1);
        n.str(DeviceTag.HOST_PATH, d.bindFrom);
      }
    });
  }
  for (const l of p.symlinks) {
    w.nest(Tag.SYMLINK, (n) => {
      n.str(SymlinkTag.TARGET, l.target);
      n.str(SymlinkTag.PATH, l.path);
    });
  }
  for (const m of p.maskedPaths) w.str(Tag.MASKED_PATH, m);
  for (const r of p.readonlyPaths) w.str(Tag.READONLY_PATH, r);
  for (const a of p.args) w.str(Tag.ARG, a);
  for (const e of p.env) w.str(Tag.ENV, e);
  w.str(Tag.CWD, p.cwd);
  w.u64(Tag.UID, p.uid);
  w.u64(Tag.GID, p.gid);
  for (const g of p.additionalGids) w.u64(Tag.ADDITIONAL_GID, g);
  w.u64(Tag.UMASK, p.umask);
  w.u64(Tag.CAP_BOUNDING, p.caps.bounding);
  w.u64(Tag.CAP_EFFECTIVE, p.caps.effective);
  w.u64(Tag.CAP_INHERITABLE, p.caps.inheritable);
  w.u64(Tag.CAP_PERMITTED, p.caps.permitted);
  w.u64(Tag.CAP_AMBIENT, p.caps.ambient);
  w.u64(Tag.CAP_LAST, p.capLast);
  for (const r of p.rlimits) {
    w.nest(Tag.RLIMIT, (n) => {
      n.u64(RlimitTag.TYPE, r.type);
      n.u64(RlimitTag.SOFT, r.soft);
      n.u64(RlimitTag.HARD, r.hard);
    });
  }
  w.flag(Tag.NO_NEW_PRIVS, p.noNewPrivs);
  w.u64(Tag.OOM_SCORE_ADJ, p.oomScoreAdj);
  w.str(Tag.NOTIFY_SOCKET, p.notifySocket);
  w.str(Tag.CONTROL_SOCKET, p.controlSocket);
  w.str(Tag.LOG_PATH, p.logPath);
  w.u64(Tag.PRESERVE_FDS, p.preserveFds);
  for (const d of p.pathDirs) w.str(Tag.PATH_DIR, d);
  w.flag(Tag.NO_NEW_KEYRING, p.noNewKeyring);
  w.str(Tag.SESSION_KEYRING_NAME, p.sessionKeyringName);
  for (const c of p.cgroupProcs ?? []) w.str(Tag.CGROUP_PROCS, c);
  w.str(Tag.CGROUP_V2_DIR, p.cgroupV2Dir);
  w.flag(Tag.EXEC, p.exec === true);
  for (const d of p.netDevices ?? []) {
    w.nest(Tag.NET_DEVICE, (n) => {
      n.str(NetDeviceTag.NAME, d.name);
      n.str(NetDeviceTag.NEWNAME, d.newName);
    });
  }
  if (p.memoryPolicy) {
    w.u64(Tag.MEMPOLICY_MODE, p.memoryPolicy.mode);
    if (p.memoryPolicy.nodes.length) w.raw(Tag.MEMPOLICY_NODES, p.memoryPolicy.nodes);
  }
  if (p.attach) {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, BigInt(p.attach.pid), true);
    v.setBigUint64(8, BigInt(p.attach.startTime), true);
    w.raw(Tag.ATTACH, b);
  }
  if (p.execTarget) {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setBigUint64(0, BigInt(p.execTarget.pid), true);
    v.setBigUint64(8, BigInt(p.execTarget.startTime), true);
    w.raw(Tag.EXEC_TARGET, b);
  }
  w.flag(Tag.EXEC_RELEASE, p.execRelease === true);
  w.str(Tag.PIDFD_SOCKET, p.pidfdSocket);
  idMaps(w, Tag.UID_MAP, p.uidMaps ?? []);
  idMaps(w, Tag.GID_MAP, p.gidMaps ?? []);
  w.flag(Tag.SETGROUPS_DENY, p.setgroupsDeny === true);
  if (p.seccomp) {
    w.raw(Tag.SECCOMP_BPF, p.seccomp.bpf);
    if (p.seccomp.flags) w.u64(Tag.SECCOMP_FLAGS, p.seccomp.flags);
    w.flag(Tag.SECCOMP_NOTIFY, p.seccomp.notify);
    w.str(Tag.SECCOMP_LISTENER_PATH, p.seccomp.listenerPath);
    w.str(Tag.SECCOMP_LISTENER_STATE, p.seccomp.listenerState);
    w.flag(Tag.SECCOMP_EARLY, p.seccomp.early);
  }
  if (p.attrs) encodeAttrs(w, p.attrs);
  if (p.sandbox) encodeSandbox(w, p.sandbox);
  if (p.terminal) {
    w.flag(Tag.TERMINAL, true);
    w.str(Tag.CONSOLE_SOCKET, p.terminal.consoleSocket);
    if (p.terminal.rows) w.u64(Tag.CONSOLE_ROWS, p.terminal.rows);
    if (p.terminal.cols) w.u64(Tag.CONSOLE_COLS, p.terminal.cols);
    w.flag(Tag.CONSOLE_RELAY, p.terminal.relay);
  }

  const body = w.bytes();
  const out = new Uint8Array(12 + body.length);
  out.set(utf8.encode(PLAN_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(4, PLAN_VERSION, true);
  view.setUint32(8, out.length, true);
  out.set(body, 12);
  return out;
}
