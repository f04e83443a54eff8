// `exec --cgroup [<controller>[,<controller>…]:]<path>` (runc): the exec'd process joins an
// existing sub-cgroup of the container's cgroups instead of the container's own. Without a
// controller the path applies to every hierarchy (the only form on a pure cgroup v2 host, and
// then it must be the only --cgroup); with controllers, to those v1 hierarchies ("unified": the
// cgroup2 one of a hybrid host); the others keep the container's cgroup. The path is relative to
// the container's cgroup; unlike runc (which cleans `..` away) a `..` is refused.
import type { CgroupRecord } from "../cgroup/types.ts";
import { RuntimeError } from "../state/errors.ts";

export interface SubCgroupPlacement {
  cgroupProcs: string[];
  cgroupV2Dir?: string;
}

/** controller ("" for all) → relative path, from the --cgroup values; throws on bad syntax. */
export function parseSubCgroups(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of args) {
    const parts = a.split(":");
    if (parts.length > 2) throw new RuntimeError(`invalid --cgroup argument: ${a}`, 255);
    const path = parts.at(-1)!;
    const clean = path.split("/").filter((s) => s !== "" && s !== ".");
    if (clean.length === 0 || clean.includes("..")) {
      throw new RuntimeError(
        `invalid --cgroup argument: ${a} (the path must name a sub-cgroup, without "..")`,
        255,
      );
    }
    const rel = clean.join("/");
    if (parts.length === 1) {
      if (args.length !== 1) {
        throw new RuntimeError(
          `invalid --cgroup argument: ${a} (missing <controller>: prefix)`,
          255,
        );
      }
      out.set("", rel);
      continue;
    }
    for (const c of parts[0].split(",")) {
      if (c === "") {
        throw new RuntimeError(`invalid --cgroup argument: ${a} (empty controller)`, 255);
      }
      if (out.has(c)) {
        throw new RuntimeError(`invalid --cgroup argument: ${a} (duplicate ${c})`, 255);
      }
      out.set(c, rel);
    }
  }
  return out;
}

/** The placement of an exec'd process into the sub-cgroups `args` name (every one must exist). */
export function subCgroupPlacement(
  rec: CgroupRecord,
  args: string[],
  exists: (dir: string) => boolean,
): SubCgroupPlacement {
  const subs = parseSubCgroups(args);
  const all = subs.get("");
  const known = new Set([
    ...Object.keys(rec.v1),
    ...(rec.v2 && rec.mode !== "v2" ? ["unified"] : []),
  ]);
  for (const c of subs.keys()) {
    if (c === "") continue;
    if (rec.mode === "v2") {
      throw new RuntimeError(
        `invalid --cgroup argument: ${c}:${subs.get(c)} (a cgroup v2 host takes only a path)`,
        255,
      );
    }
    if (!known.has(c)) {
      throw new RuntimeError(
        `invalid --cgroup argument: controller "${c}" is not one of the container's (${
          [...known].sort().join(", ")
        })`,
        255,
      );
    }
  }
  const dirOf = (ctrl: string, base: string) => {
    const sub = subs.get(ctrl) ?? all;
    if (sub === undefined) return base;
    const dir = `${base}/${sub}`;
    if (!exists(dir)) {
      throw new RuntimeError(`exec --cgroup: cgroup ${dir} does not exist`, 255);
    }
    return dir;
  };
  // v1 controllers mounted together (cpu,cpuacct) share one directory: either name selects it
  const v1Dirs = new Map<string, string>();
  for (const [ctrl, base] of Object.entries(rec.v1)) {
    const mine = dirOf(ctrl, base);
    const prev = v1Dirs.get(base);
    if (prev !== undefined && prev !== base && mine !== base && prev !== mine) {
      throw new RuntimeError(
        `invalid --cgroup argument: ${ctrl} shares its hierarchy with another controller given another path`,
        255,
      );
    }
    if (prev === undefined || prev === base) v1Dirs.set(base, mine);
  }
  const v2 = rec.v2 === undefined ? undefined : dirOf(rec.mode === "v2" ? "" : "unified", rec.v2);
  const dirs = [...new Set([...v1Dirs.values(), ...(v2 ? [v2] : [])])];
  return { cgroupProcs: dirs.map((d) => `${d}/cgroup.procs`), cgroupV2Dir: v2 };
}
