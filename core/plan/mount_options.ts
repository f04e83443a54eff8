// OCI mount options → mount(2) flags, as runc interprets them (config.md "mounts[].options").
import { MS } from "../linux/consts.ts";

/** Options that set (true) or clear (false) a flag of the mount itself. */
const FLAG_OPTIONS: Record<string, [boolean, number]> = {
  async: [false, MS.SYNCHRONOUS],
  atime: [false, MS.NOATIME],
  bind: [true, MS.BIND],
  defaults: [true, 0],
  dev: [false, MS.NODEV],
  diratime: [false, MS.NODIRATIME],
  dirsync: [true, MS.DIRSYNC],
  exec: [false, MS.NOEXEC],
  iversion: [true, MS.I_VERSION],
  lazytime: [true, MS.LAZYTIME],
  loud: [false, MS.SILENT],
  mand: [true, MS.MANDLOCK],
  noatime: [true, MS.NOATIME],
  nodev: [true, MS.NODEV],
  nodiratime: [true, MS.NODIRATIME],
  noexec: [true, MS.NOEXEC],
  noiversion: [false, MS.I_VERSION],
  nolazytime: [false, MS.LAZYTIME],
  nomand: [false, MS.MANDLOCK],
  norelatime: [false, MS.RELATIME],
  nostrictatime: [false, MS.STRICTATIME],
  nosuid: [true, MS.NOSUID],
  nosymfollow: [true, MS.NOSYMFOLLOW],
  rbind: [true, MS.BIND | MS.REC],
  relatime: [true, MS.RELATIME],
  remount: [true, MS.REMOUNT],
  ro: [true, MS.RDONLY],
  rw: [false, MS.RDONLY],
  silent: [true, MS.SILENT],
  strictatime: [true, MS.STRICTATIME],
  suid: [false, MS.NOSUID],
  sync: [true, MS.SYNCHRONOUS],
};

const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** MOUNT_ATTR_* (mount_setattr(2)). */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  ATIME_MASK: 0x70,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
} as const;

/**
 * Recursive mount attributes (runc's "rro" family, applied with mount_setattr AT_RECURSIVE):
 * [clear?, MOUNT_ATTR_* bit]. Same table as runc's libcontainer/specconv.
 */
const RECURSIVE_OPTIONS: Record<string, [boolean, number]> = {
  rro: [false, MOUNT_ATTR.RDONLY],
  rrw: [true, MOUNT_ATTR.RDONLY],
  rnosuid: [false, MOUNT_ATTR.NOSUID],
  rsuid: [true, MOUNT_ATTR.NOSUID],
  rnodev: [false, MOUNT_ATTR.NODEV],
  rdev: [true, MOUNT_ATTR.NODEV],
  rnoexec: [false, MOUNT_ATTR.NOEXEC],
  rexec: [true, MOUNT_ATTR.NOEXEC],
  rnodiratime: [false, MOUNT_ATTR.NODIRATIME],
  rdiratime: [true, MOUNT_ATTR.NODIRATIME],
  rrelatime: [false, MOUNT_ATTR.RELATIME],
  rnorelatime: [true, MOUNT_ATTR.RELATIME],
  rnoatime: [false, MOUNT_ATTR.NOATIME],
  ratime: [true, MOUNT_ATTR.NOATIME],
  rstrictatime: [false, MOUNT_ATTR.STRICTATIME],
  rnostrictatime: [true, MOUNT_ATTR.STRICTATIME],
  rnosymfollow: [false, MOUNT_ATTR.NOSYMFOLLOW],
  rsymfollow: [true, MOUNT_ATTR.NOSYMFOLLOW],
};

/** The recursive option names moat supports (for `features`). */
export const RECURSIVE_MOUNT_OPTIONS = Object.keys(RECURSIVE_OPTIONS);

/** Every mount option name moat understands (for `features`). */
export const MOUNT_OPTION_NAMES: readonly string[] = [
  ...Object.keys(FLAG_OPTIONS),
  ...Object.keys(PROPAGATION_OPTIONS),
  ...RECURSIVE_MOUNT_OPTIONS,
  "tmpcopyup",
  "idmap",
  "ridmap",
].sort();

export interface ParsedMountOptions {
  flags: number;
  /** MOUNT_ATTR_* bits to set / clear on the mount and every submount (0 when none). */
  rattrSet: number;
  rattrClr: number;
  /** tmpcopyup (runc extension): start the tmpfs with the covered directory's content. */
  copyUp: boolean;
  /** `idmap` / `ridmap` (runtime-spec 1.2): an idmapped bind mount, recursive for ridmap. */
  idmap?: "idmap" | "ridmap";
  propagation: number;
  /** Everything else, comma-joined, handed to the filesystem. */
  data: string;
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  let copyUp = false;
  let idmap: "idmap" | "ridmap" | undefined;
  let rattrSet = 0;
  let rattrClr = 0;
  for (const opt of options) {
    const r = RECURSIVE_OPTIONS[opt];
    if (r) {
      if (r[0]) {
        rattrClr |= r[1];
        rattrSet &= ~r[1];
      } else {
        rattrSet |= r[1];
        rattrClr &= ~r[1];
        // mount_setattr(2): an access-time mode is set by clearing the whole atime field
        if ((r[1] & MOUNT_ATTR.ATIME_MASK) === r[1]) rattrClr |= MOUNT_ATTR.ATIME_MASK;
      }
      continue;
    }
    if (opt === "idmap" || opt === "ridmap") {
      idmap = opt;
      continue;
    }
    if (opt === "tmpcopyup" || opt === "notmpcopyup") {
      copyUp = opt === "tmpcopyup";
      continue;
    }
    const f = FLAG_OPTIONS[opt];
    if (f) {
      flags = f[0] ? flags | f[1] : flags & ~f[1];
      continue;
    }
    const p = PROPAGATION_OPTIONS[opt];
    if (p !== undefined) {
      propagation = p;
      continue;
    }
    data.push(opt);
  }
  return {
    flags,
    propagation,
    copyUp,
    rattrSet,
    rattrClr,
    data: data.join(","),
    ...(idmap ? { idmap } : {}),
  };
}

export function propagationFlags(name: string): number | undefined {
  return PROPAGATION_OPTIONS[name];
}
