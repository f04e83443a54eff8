// Where a container's cgroup lives: linux.cgroupsPath relative (to the caller's cgroup),
// absolute (from the hierarchy root), empty (one per container id, relative like runc's), or in
// systemd's `slice:prefix:name` form, transformed into the path systemd would have created.
import type { CgroupLayout } from "./types.ts";
import { CgroupError } from "./types.ts";

/** runsc's LikelySystemdPath: exactly three colon-separated parts. */
export function isSystemdPath(p: string): boolean {
  return p.split(":").length === 3;
}

/** `a-b-c.slice` → `/a.slice/a-b.slice/a-b-c.slice`; `-.slice` → `` (the root slice). */
export function expandSlice(slice: string): string {
  if (slice === "-.slice") return "";
  if (!slice.endsWith(".slice") || slice.includes("/")) {
    throw new CgroupError(`invalid slice name: ${slice}`);
  }
  const name = slice.slice(0, -".slice".length);
  if (name === "" || name.split("-").some((part) => part === "")) {
    throw new CgroupError(`invalid slice name: ${slice}`);
  }
  let prefix = "";
  let out = "";
  for (const part of name.split("-")) {
    prefix = prefix === "" ? part : `${prefix}-${part}`;
    out += `/${prefix}.slice`;
  }
  return out;
}

/**
 * `slice:prefix:name` → cgroupfs path (runc's systemd driver layout): the unit is
 * `prefix-name.scope` (or `name` itself when it is a slice); an empty slice is system.slice.
 * An empty cgroupsPath under --systemd-cgroup means `:moat:<id>` (runc: `:runc:<id>`).
 */
export function systemdToPath(p: string, id: string): string {
  const spec = p === "" ? `:moat:${id}` : p;
  const parts = spec.split(":");
  if (parts.length !== 3) {
    throw new CgroupError(
      `expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "${p}" instead`,
    );
  }
  const [slice, prefix, name] = parts;
  if (name === "") throw new CgroupError(`cgroupsPath "${p}": the unit name is empty`);
  const unit = name.endsWith(".slice")
    ? name
    : prefix === ""
    ? `${name}.scope`
    : `${prefix}-${name}.scope`;
  if (unit.includes("/")) throw new CgroupError(`cgroupsPath "${p}": unit name contains a slash`);
  const base = expandSlice(slice === "" ? "system.slice" : slice);
  return unit.endsWith(".slice") ? `${base}/${unit}` : `${base}/${unit}`;
}

/** Lexical clean of a cgroup path ("." and ".." resolved, no escape above the root). */
export function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return (p.startsWith("/") ? "/" : "") + parts.join("/");
}

export interface InnerPath {
  /** Clean path; absolute paths start with "/". */
  path: string;
  relative: boolean;
  driver: "cgroupfs" | "systemd";
}

export function innerPath(
  cgroupsPath: string | undefined,
  id: string,
  systemd: boolean,
): InnerPath {
  const p = cgroupsPath ?? "";
  if (systemd || (p !== "" && isSystemdPath(p))) {
    return { path: systemdToPath(p, id), relative: false, driver: "systemd" };
  }
  if (p === "") return { path: id, relative: true, driver: "cgroupfs" };
  const clean = cleanPath(p);
  if (clean === "" || clean === "/") {
    throw new CgroupError(`cgroupsPath "${p}" names the root cgroup`);
  }
  return { path: clean, relative: !p.startsWith("/"), driver: "cgroupfs" };
}

function join(...parts: string[]): string {
  const s = parts.join("/").replace(/\/+/g, "/");
  return s.length > 1 && s.endsWith("/") ? s.slice(0, -1) : s;
}

/** Strip the hierarchy root a mount shows (a nested container sees /docker/x as its /). */
function underRoot(own: string, root: string | undefined): string {
  if (!root || root === "/") return own;
  return own === root ? "/" : own.startsWith(root + "/") ? own.slice(root.length) : own;
}

function parent(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

export interface ResolvedDirs {
  v1: Record<string, string>;
  v2?: string;
}

/**
 * Absolute directories per v1 controller and in the cgroup2 tree. Relative paths: v1 under the
 * caller's cgroup of each hierarchy; v2 under the *parent* of the caller's cgroup (the caller's own
 * has processes, and v2 puts processes in leaves only), as runc and runsc do.
 */
export function resolveDirs(
  layout: CgroupLayout,
  inner: InnerPath,
  own: Map<string, string>,
): ResolvedDirs {
  const out: ResolvedDirs = { v1: {} };
  if (layout.mode !== "v2") {
    for (const [c, mount] of Object.entries(layout.v1)) {
      const base = inner.relative
        ? underRoot(own.get(layout.v1Keys[c]) ?? "/", layout.v1Roots[mount])
        : "/";
      out.v1[c] = join(mount, base, inner.path);
    }
  }
  if (layout.v2Mount !== undefined) {
    const base = inner.relative ? parent(underRoot(own.get("") ?? "/", layout.v2Root)) : "/";
    out.v2 = join(layout.v2Mount, base, inner.path);
  }
  return out;
}
