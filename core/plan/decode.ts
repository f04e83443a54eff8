// Reads plan bytes back into a LaunchPlan: used by `moat debug plan` and the round-trip tests.
// The sentry has its own decoder in C; this one mirrors its checks so the two can be compared.
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
import type { LaunchPlan } from "./types.ts";
import { decodeAttr, isAttrTag } from "./attrs_codec.ts";
import { decodeSandbox, isSandboxTag } from "./sandbox_codec.ts";
import { decodeOverlay, isOverlayTag } from "./overlay_codec.ts";
import { type PlanRecord, records, recStr, recU64 } from "./records.ts";

type Rec = PlanRecord;
const str = recStr;
const u64 = recU64;
const num = (r: Rec) => Number(u64(r));

function idMap(r: Rec): { containerID: number; hostID: number; size: number } {
  const m = { containerID: 0, hostID: 0, size: 0 };
  for (const n of records(r.value, "id map")) {
    if (n.tag === IdMapTag.CONTAINER) m.containerID = num(n);
    else if (n.tag === IdMapTag.HOST) m.hostID = num(n);
    else if (n.tag === IdMapTag.SIZE) m.size = num(n);
    else throw new Error(`plan: id map: unknown tag ${n.tag}`);
  }
  return m;
}

export function decodePlan(buf: Uint8Array): LaunchPlan {
  if (buf.length < 12) throw new Error("plan: shorter than its header");
  if (new TextDecoder().decode(buf.subarray(0, 4)) !== PLAN_MAGIC) {
    throw new Error("plan: bad magic");
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = view.getUint32(4, true);
  if (version !== PLAN_VERSION) throw new Error(`plan: unsupported version ${version}`);
  if (view.getUint32(8, true) !== buf.length) throw new Error("plan: length mismatch");

  const p: LaunchPlan = {
    containerId: "",
    rootfs: "",
    rootfsReadonly: false,
    rootPropagation: 0,
    noPivot: false,
    namespaces: [],
    mounts: [],
    devices: [],
    symlinks: [],
    maskedPaths: [],
    readonlyPaths: [],
    args: [],
    env: [],
    cwd: "",
    uid: 0,
    gid: 0,
    additionalGids: [],
    caps: { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n },
    capLast: 0,
    rlimits: [],
    noNewPrivs: false,
    notifySocket: "",
    controlSocket: "",
    preserveFds: 0,
    pathDirs: [],
    noNewKeyring: false,
  };
  const term = () => (p.terminal ??= { relay: false, rows: 0, cols: 0 });
  const sc = () => (p.seccomp ??= { bpf: new Uint8Array(), flags: 0, notify: false, early: false });
  for (const r of records(buf.subarray(12), "top level")) {
    switch (r.tag) {
      case Tag.CONTAINER_ID:
        p.containerId = str(r);
        break;
      case Tag.ROOTFS:
        p.rootfs = str(r);
        break;
      case Tag.ROOTFS_READONLY:
        p.rootfsReadonly = u64(r) === 1n;
        break;
      case Tag.ROOT_PROPAGATION:
        p.rootPropagation = num(r);
        break;
      case Tag.NO_PIVOT:
        p.noPivot = u64(r) === 1n;
        break;
      case Tag.HOSTNAME:
        p.hostname = str(r);
        break;
      case Tag.DOMAINNAME:
        p.domainname = str(r);
        break;
      case Tag.NAMESPACE: {
        const ns: LaunchPlan["namespaces"][number] = { type: 0 };
        for (const n of records(r.value, "namespace")) {
          if (n.tag === NsTag.TYPE) ns.type = num(n);
          else if (n.tag === NsTag.PATH) ns.path = str(n);
          else throw new Error(`plan: namespace: unknown tag ${n.tag}`);
        }
        p.namespaces.push(ns);
        break;
      }
      case Tag.MOUNT: {
        const m: LaunchPlan["mounts"][number] = {
          source: "",
          destination: "",
          type: "",
          flags: 0,
          data: "",
          propagation: 0,
          remountFlags: 0,
          createFile: false,
        };
        for (const n of records(r.value, "mount")) {
          switch (n.tag) {
            case MountTag.SOURCE:
              m.source = str(n);
              break;
            case MountTag.DEST:
              m.destination = str(n);
              break;
            case MountTag.TYPE:
              m.type = str(n);
              break;
            case MountTag.FLAGS:
              m.flags = num(n);
              break;
            case MountTag.DATA:
              m.data = str(n);
              break;
            case MountTag.PROPAGATION:
              m.propagation = num(n);
              break;
            case MountTag.REMOUNT_FLAGS:
              m.remountFlags = num(n);
              break;
            case MountTag.CREATE:
              m.createFile = u64(n) === 1n;
              break;
            case MountTag.COPYUP:
              m.copyUp = u64(n) === 1n;
              break;
            case MountTag.UIDMAP:
              (m.idmap ??= { uidMaps: [], gidMaps: [], recursive: false }).uidMaps.push(idMap(n));
              break;
            case MountTag.GIDMAP:
              (m.idmap ??= { uidMaps: [], gidMaps: [], recursive: false }).gidMaps.push(idMap(n));
              break;
            case MountTag.IDMAP_RECURSIVE:
              (m.idmap ??= { uidMaps: [], gidMaps: [], recursive: false }).recursive =
                u64(n) === 1n;
              break;
            case MountTag.RATTR_SET:
              m.rattrSet = num(n);
              break;
            case MountTag.RATTR_CLR:
              m.rattrClr = num(n);
              break;
            default:
              throw new Error(`plan: mount: unknown tag ${n.tag}`);
          }
        }
        p.mounts.push(m);
        break;
      }
      case Tag.DEVICE: {
        const d: LaunchPlan["devices"][number] = {
          path: "",
          mode: 0,
          major: 0,
          minor: 0,
          uid: 0,
          gid: 0,
        };
        for (const n of records(r.value, "device")) {
          switch (n.tag) {
            case DeviceTag.PATH:
              d.path = str(n);
              break;
            case DeviceTag.MODE:
              d.mode = num(n);
              break;
            case DeviceTag.MAJOR:
              d.major = num(n);
              break;
            case DeviceTag.MINOR:
              d.minor = num(n);
              break;
            case DeviceTag.UID:
              d.uid = num(n);
              break;
            case DeviceTag.GID:
              d.gid = num(n);
              break;
            case DeviceTag.BIND:
              break;
            case DeviceTag.HOST_PATH:
              d.bindFrom = str(n);
              break;
            default:
              throw new Error(`plan: device: unknown tag ${n.tag}`);
          }
        }
        p.devices.push(d);
        break;
      }
      case Tag.SYMLINK: {
        const l = { target: "", path: "" };
        for (const n of records(r.value, "symlink")) {
          if (n.tag === SymlinkTag.TARGET) l.target = str(n);
          else if (n.tag === SymlinkTag.PATH) l.path = str(n);
          else throw new Error(`plan: symlink: unknown tag ${n.tag}`);
        }
        p.symlinks.push(l);
        break;
      }
      case Tag.MASKED_PATH:
        p.maskedPaths.push(str(r));
        break;
      case Tag.READONLY_PATH:
        p.readonlyPaths.push(str(r));
        break;
      case Tag.ARG:
        p.args.push(str(r));
        break;
      case Tag.ENV:
        p.env.push(str(r));
        break;
      case Tag.CWD:
        p.cwd = str(r);
        break;
      case Tag.UID:
        p.uid = num(r);
        break;
      case Tag.GID:
        p.gid = num(r);
        break;
      case Tag.ADDITIONAL_GID:
        p.additionalGids.push(num(r));
        break;
      case Tag.UMASK:
        p.umask = num(r);
        break;
      case Tag.CAP_BOUNDING:
        p.caps.bounding = u64(r);
        break;
      case Tag.CAP_EFFECTIVE:
        p.caps.effective = u64(r);
        break;
      case Tag.CAP_INHERITABLE:
        p.caps.inheritable = u64(r);
        break;
      case Tag.CAP_PERMITTED:
        p.caps.permitted = u64(r);
        break;
      case Tag.CAP_AMBIENT:
        p.caps.ambient = u64(r);
        break;
      case Tag.CAP_LAST:
        p.capLast = num(r);
        break;
      case Tag.RLIMIT: {
        const l = { type: 0, soft: 0n, hard: 0n };
        for (const n of records(r.value, "rlimit")) {
          if (n.tag === RlimitTag.TYPE) l.type = num(n);
          else if (n.tag === RlimitTag.SOFT) l.soft = u64(n);
          else if (n.tag === RlimitTag.HARD) l.hard = u64(n);
          else throw new Error(`plan: rlimit: unknown tag ${n.tag}`);
        }
        p.rlimits.push(l);
        break;
      }
      case Tag.NO_NEW_PRIVS:
        p.noNewPrivs = u64(r) === 1n;
        break;
      case Tag.OOM_SCORE_ADJ:
        p.oomScoreAdj = Number(BigInt.asIntN(64, u64(r)));
        break;
      case Tag.NOTIFY_SOCKET:
        p.notifySocket = str(r);
        break;
      case Tag.CONTROL_SOCKET:
        p.controlSocket = str(r);
        break;
      case Tag.LOG_PATH:
        p.logPath = str(r);
        break;
      case Tag.PRESERVE_FDS:
        p.preserveFds = num(r);
        break;
      case Tag.PATH_DIR:
        p.pathDirs.push(str(r));
        break;
      case Tag.NO_NEW_KEYRING:
        p.noNewKeyring = u64(r) === 1n;
        break;
      case Tag.SESSION_KEYRING_NAME:
        p.sessionKeyringName = str(r);
        break;
      case Tag.CGROUP_PROCS:
        (p.cgroupProcs ??= []).push(str(r));
        break;
      case Tag.CGROUP_V2_DIR:
        p.cgroupV2Dir = str(r);
        break;
      case Tag.TERMINAL:
        term();
        break;
      case Tag.EXEC:
        p.exec = u64(r) === 1n;
        break;
      case Tag.NET_DEVICE: {
        const d: { name: string; newName?: string } = { name: "" };
        for (const n of records(r.value, "net device")) {
          if (n.tag === NetDeviceTag.NAME) d.name = str(n);
          else if (n.tag === NetDeviceTag.NEWNAME) d.newName = str(n);
          else throw new Error(`plan: net device: unknown tag ${n.tag}`);
        }
        (p.netDevices ??= []).push(d);
        break;
      }
      case Tag.MEMPOLICY_MODE:
        (p.memoryPolicy ??= { mode: 0, nodes: new Uint8Array(0) }).mode = num(r);
        break;
      case Tag.MEMPOLICY_NODES:
        (p.memoryPolicy ??= { mode: 0, nodes: new Uint8Array(0) }).nodes = r.value.slice();
        break;
      case Tag.ATTACH: {
        if (r.value.length !== 16) throw new Error("plan: ATTACH must be 16 bytes");
        const v = new DataView(r.value.buffer, r.value.byteOffset, 16);
        p.attach = {
          pid: Number(v.getBigUint64(0, true)),
          startTime: Number(v.getBigUint64(8, true)),
        };
        break;
      }
      case Tag.EXEC_TARGET: {
        if (r.value.length !== 16) throw new Error("plan: EXEC_TARGET must be 16 bytes");
        const v = new DataView(r.value.buffer, r.value.byteOffset, 16);
        p.execTarget = {
          pid: Number(v.getBigUint64(0, true)),
          startTime: Number(v.getBigUint64(8, true)),
        };
        break;
      }
      case Tag.UID_MAP:
        (p.uidMaps ??= []).push(idMap(r));
        break;
      case Tag.GID_MAP:
        (p.gidMaps ??= []).push(idMap(r));
        break;
      case Tag.PIDFD_SOCKET:
        p.pidfdSocket = str(r);
        break;
      case Tag.EXEC_RELEASE:
        p.execRelease = u64(r) === 1n;
        break;
      case Tag.SETGROUPS_DENY:
        p.setgroupsDeny = u64(r) === 1n;
        break;
      case Tag.CONSOLE_SOCKET:
        term().consoleSocket = str(r);
        break;
      case Tag.CONSOLE_ROWS:
        term().rows = num(r);
        break;
      case Tag.CONSOLE_COLS:
        term().cols = num(r);
        break;
      case Tag.CONSOLE_RELAY:
        term().relay = u64(r) === 1n;
        break;
      case Tag.SECCOMP_BPF:
        sc().bpf = r.value.slice();
        break;
      case Tag.SECCOMP_FLAGS:
        sc().flags = num(r);
        break;
      case Tag.SECCOMP_NOTIFY:
        sc().notify = u64(r) === 1n;
        break;
      case Tag.SECCOMP_LISTENER_PATH:
        sc().listenerPath = str(r);
        break;
      case Tag.SECCOMP_LISTENER_STATE:
        sc().listenerState = str(r);
        break;
      case Tag.SECCOMP_EARLY:
        sc().early = u64(r) === 1n;
        break;
      default:
        if (isAttrTag(r.tag)) decodeAttr(p, r);
        else if (isSandboxTag(r.tag)) decodeSandbox(p, r);
        else if (isOverlayTag(r.tag)) decodeOverlay(p, r);
        else throw new Error(`plan: unknown tag ${r.tag}`);
    }
  }
  return p;
}
