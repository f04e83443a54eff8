// The filesystem cgroup code talks to, behind an interface so unit tests run against fake v1, v2
// and hybrid trees without root. Every method is synchronous: cgroupfs never blocks.

export interface CgroupFs {
  /** File contents; throws Deno.errors.NotFound when missing. */
  read(path: string): string;
  /** Writes one value (one write(2): cgroupfs parses each write separately). */
  write(path: string, data: string): void;
  exists(path: string): boolean;
  /** One level; throws Deno.errors.AlreadyExists when present. */
  mkdir(path: string): void;
  /** Removes an empty cgroup; throws (EBUSY as Deno.errors.Busy) while it still has tasks. */
  rmdir(path: string): void;
  /** Names of the sub-directories (child cgroups). */
  children(path: string): string[];
}

export const realFs: CgroupFs = {
  read: (p) => Deno.readTextFileSync(p),
  write(p, data) {
    const f = Deno.openSync(p, { write: true, truncate: false });
    try {
      f.writeSync(new TextEncoder().encode(data));
    } finally {
      f.close();
    }
  },
  exists(p) {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  },
  mkdir: (p) => Deno.mkdirSync(p, { mode: 0o755 }),
  rmdir: (p) => Deno.removeSync(p),
  children(p) {
    try {
      return [...Deno.readDirSync(p)].filter((e) => e.isDirectory).map((e) => e.name);
    } catch {
      return [];
    }
  },
};

/** The errno-ish name of a failed cgroup write, for messages ("device or resource busy"). */
export function describeError(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.Busy) return "device or resource busy";
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^(.*?) \(os error \d+\)/.exec(msg);
  return (m ? m[1] : msg).replace(/^./, (c) => c.toLowerCase());
}
