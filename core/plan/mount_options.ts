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

export interface ParsedMountOptions {
  flags: number;
  /** tmpcopyup (runc extension): start the tmpfs with the covered directory's content. */
  copyUp: boolean;
  propagation: number;
  /** Everything else, comma-joined, handed to the filesystem. */
  data: string;
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  let copyUp = false;
  for (const opt of options) {
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
  return { flags, propagation, copyUp, data: data.join(",") };
}

export function propagationFlags(name: string): number | undefined {
  return PROPAGATION_OPTIONS[name];
}
