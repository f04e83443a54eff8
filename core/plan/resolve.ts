// config.json + CLI options → LaunchPlan. Every decision about what the container gets is made
// here; the C side only executes the result.
import { CLONE_NEW, MS, S_IFBLK, S_IFCHR, S_IFIFO } from "../linux/consts.ts";
import { CAPABILITIES, RLIMITS } from "../spec/mod.ts";
import type { Process, Spec } from "../spec/types.ts";
import { type ContainerCgroupDirs, expandCgroupMount } from "./cgroup_mount.ts";
import type { HostFacts } from "./host.ts";
import { parseMountOptions, propagationFlags } from "./mount_options.ts";
import { emptyAttrs, resolveAttrs } from "./process_attrs.ts";
import type { LaunchPlan, PlanDevice, PlanMount, PlanSymlink, PlanTerminal } from "./types.ts";

import { PlanError } from "./errors.ts";
import { planMemoryPolicy } from "./memory_policy.ts";

export { PlanError };

export interface PlanOptions {
  id: string;
  /** Absolute bundle directory. */
  bundle: string;
  notifySocket: string;
  controlSocket: string;
  logPath?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /** --console-socket (process.terminal with a detached create). */
  consoleSocket?: string;
  /** Foreground run of a terminal process: the sentry relays the pty to our stdio. */
  consoleRelay?: boolean;
  /** --pidfd-socket: where a pidfd of the init goes. */
  pidfdSocket?: string;
  /** The cgroups create makes for the container: what a `cgroup` mount shows (v1 binds). */
  cgroupDirs?: ContainerCgroupDirs;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const RLIM_INFINITY = (1n << 64n) - 1n;

/** The devices every container gets (runtime-spec config-linux.md "Default Devices"). */
const DEFAULT_DEVICES: Array<[string, number, number]> = [
  ["/dev/null", 1, 3],
  ["/dev/zero", 1, 5],
  ["/dev/full", 1, 7],
  ["/dev/random", 1, 8],
  ["/dev/urandom", 1, 9],
  ["/dev/tty", 5, 0],
];

export function buildPlan(spec: Spec, opts: PlanOptions, host: HostFacts): LaunchPlan {
  const process = spec.process;
  if (!process) throw new PlanError("process: missing (required to create a container)");
  const linux = spec.linux ?? {};

  const namespaces = (linux.namespaces ?? []).map((ns) =>
    ns.path ? { type: CLONE_NEW[ns.type], path: ns.path } : { type: CLONE_NEW[ns.type] }
  );
  const has = (t: string) => namespaces.some((n) => n.type === CLONE_NEW[t]);
  const isNew = (t: string) => namespaces.some((n) => n.type === CLONE_NEW[t] && !n.path);
  // Without a mount namespace the container shares the caller's (runc allows it) and is only
  // chrooted into its rootfs: a mount would land in the caller's namespace and outlive the
  // container, so none is made (runc's wording for the paths it cannot restrict).
  const ownMounts = isNew("mount");
  if (!ownMounts) refuseMountsWithoutNamespace(spec, has("mount"));
  if (spec.hostname && !isNew("uts")) {
    throw new PlanError("hostname: unable to set hostname without a private UTS namespace");
  }
  if (spec.domainname && !isNew("uts")) {
    throw new PlanError("domainname: unable to set domainname without a private UTS namespace");
  }

  const userns = userNamespace(linux, isNew("user"), has("user"));

  const rootfs = absolute(spec.root?.path ?? "", opts.bundle);
  if (host.kind(rootfs) !== "dir") {
    throw new PlanError(`root.path: stat ${rootfs}: no such directory`);
  }

  const mounts: PlanMount[] = [];
  const symlinks: PlanSymlink[] = [];
  const readonlyPaths = [...(linux.readonlyPaths ?? [])];
  let devBound = false;
  (spec.mounts ?? []).forEach((m, i) => {
    const dest = containerPath(m.destination);
    const { flags, propagation, data, copyUp, rattrSet, rattrClr, idmap: idmapOpt } =
      parseMountOptions(m.options);
    const type = m.type ?? "";
    if (type === "cgroup") {
      const x = expandCgroupMount(dest, flags, isNew("cgroup"), host, opts.cgroupDirs);
      mounts.push(...x.mounts);
      symlinks.push(...x.symlinks);
      readonlyPaths.push(...x.readonly);
      return;
    }
    const isBind = (flags & MS.BIND) !== 0 || type === "bind";
    let source = m.source ?? "";
    let createFile = false;
    if (isBind) {
      source = absolute(source, opts.bundle);
      const kind = host.kind(source);
      if (kind === "missing") {
        throw new PlanError(`mounts[${i}].source: stat ${source}: no such file or directory`);
      }
      createFile = kind === "file";
      if (dest === "/dev") devBound = true;
    }
    const bindFlags = flags | (isBind ? MS.BIND : 0);
    // A bind mount ignores every flag but MS_BIND|MS_REC: the rest needs a remount.
    const extra = bindFlags & ~(MS.BIND | MS.REC | MS.REMOUNT);
    mounts.push({
      source,
      destination: dest,
      type: isBind ? "" : type,
      flags: isBind ? bindFlags & (MS.BIND | MS.REC) : flags,
      data,
      propagation,
      remountFlags: isBind && extra ? extra : 0,
      createFile,
      ...(copyUp && type === "tmpfs" ? { copyUp: true } : {}),
      ...(rattrSet ? { rattrSet } : {}),
      ...(rattrClr ? { rattrClr } : {}),
      ...mountIdmap(m, i, isBind, idmapOpt, linux),
    });
  });

  const devices: PlanDevice[] = [];
  if (!devBound && ownMounts) {
    for (const [path, major, minor] of DEFAULT_DEVICES) {
      devices.push({
        path,
        mode: S_IFCHR | 0o666,
        major,
        minor,
        uid: 0,
        gid: 0,
        // mknod is refused in a user namespace (new or joined): bind the host's node (runc too).
        ...(has("user") ? { bindFrom: path } : {}),
      });
    }
    symlinks.push(
      { target: "/proc/self/fd", path: "/dev/fd" },
      { target: "/proc/self/fd/0", path: "/dev/stdin" },
      { target: "/proc/self/fd/1", path: "/dev/stdout" },
      { target: "/proc/self/fd/2", path: "/dev/stderr" },
      { target: "pts/ptmx", path: "/dev/ptmx" },
    );
    if (host.kind("/proc/kcore") !== "missing") {
      symlinks.push({ target: "/proc/kcore", path: "/dev/core" });
    }
  }
  for (const d of linux.devices ?? []) {
    const typeBits = d.type === "b" ? S_IFBLK : d.type === "p" ? S_IFIFO : S_IFCHR;
    const dev: PlanDevice = {
      path: containerPath(d.path),
      mode: typeBits | ((d.fileMode ?? 0o666) & 0o7777),
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
      ...(has("user") ? { bindFrom: d.path } : {}),
    };
    const at = devices.findIndex((x) => x.path === dev.path);
    if (at >= 0) devices[at] = dev;
    else devices.push(dev);
  }

  const capLast = host.capLast();
  // hooks, sysctl, personality, scheduler, I/O priority, CPU affinity, time offsets (60-79)
  const attrs = resolveAttrs(spec, { id: opts.id, bundle: opts.bundle }, namespaces, host);
  const terminal = planTerminal(process.terminal === true, process.consoleSize, opts);

  unsupported(linux, host);
  const memoryPolicy = planMemoryPolicy(linux.memoryPolicy);

  return {
    containerId: opts.id,
    ...netDevices(linux, isNew("network"), host),
    ...(memoryPolicy ? { memoryPolicy } : {}),
    ...userns.maps,
    ...(terminal ? { terminal } : {}),
    rootfs,
    rootfsReadonly: spec.root?.readonly === true,
    rootPropagation: linux.rootfsPropagation
      ? propagationFlags(linux.rootfsPropagation)!
      : MS.SLAVE | MS.REC,
    noPivot: opts.noPivot,
    hostname: spec.hostname || undefined,
    domainname: spec.domainname || undefined,
    namespaces,
    mounts,
    devices,
    symlinks,
    maskedPaths: linux.maskedPaths ?? [],
    readonlyPaths,
    ...processFields(process, capLast),
    notifySocket: opts.notifySocket,
    controlSocket: opts.controlSocket,
    ...(opts.pidfdSocket ? { pidfdSocket: opts.pidfdSocket } : {}),
    logPath: opts.logPath,
    preserveFds: opts.preserveFds,
    noNewKeyring: opts.noNewKeyring,
    sessionKeyringName: opts.noNewKeyring ? undefined : `_ses.${opts.id}`.slice(0, 200),
    ...(emptyAttrs(attrs) ? {} : { attrs }),
  };
}

/**
 * A container without a new mount namespace (none: the caller's; or one joined by path: another
 * container's, set up already) gets no mounts: they would land in a namespace it does not own.
 */
function refuseMountsWithoutNamespace(spec: Spec, joined: boolean): void {
  const linux = spec.linux ?? {};
  if (linux.maskedPaths?.length || linux.readonlyPaths?.length) {
    throw new PlanError(
      "linux.maskedPaths, linux.readonlyPaths: unable to restrict sys entries without a private MNT namespace",
    );
  }
  if (spec.mounts?.length) {
    const why = joined
      ? 'the mount namespace is joined by path (linux.namespaces "mount" has a path)'
      : 'linux.namespaces has no "mount"';
    throw new PlanError(
      `mounts[0]: ${spec.mounts[0].destination}: mounts need a private mount namespace (${why})`,
    );
  }
  if (spec.root?.readonly) {
    throw new PlanError("root.readonly: needs a private mount namespace");
  }
  if (linux.devices?.length) {
    throw new PlanError("linux.devices: creating devices needs a private mount namespace");
  }
}

/**
 * Fields of runtime-spec 1.3 that moat does not implement yet: refusing them is better than a
 * container that silently lacks them.
 */
function unsupported(linux: NonNullable<Spec["linux"]>, host: HostFacts): void {
  if (linux.intelRdt) {
    const why = host.kind("/sys/fs/resctrl/info") === "dir"
      ? "Intel RDT is not supported by moat yet"
      : "resctrl is not mounted on this host";
    throw new PlanError(`linux.intelRdt: ${why}`);
  }
}

/**
 * linux.netDevices: host interfaces moved into the container's new network namespace, renamed
 * when asked; the sentry does it with netlink before the init runs anything.
 */
function netDevices(
  linux: NonNullable<Spec["linux"]>,
  newNet: boolean,
  host: HostFacts,
): { netDevices?: { name: string; newName?: string }[] } {
  const entries = Object.entries(linux.netDevices ?? {});
  if (!entries.length) return {};
  if (!newNet) throw new PlanError("linux.netDevices: requires a new network namespace");
  const valid = (n: string) => /^[^/\s:]{1,15}$/.test(n) && n !== "." && n !== "..";
  const inside = new Set<string>();
  return {
    netDevices: entries.map(([name, d]) => {
      const path = `linux.netDevices[${JSON.stringify(name)}]`;
      if (!valid(name)) throw new PlanError(`${path}: invalid interface name`);
      if (d.name !== undefined && !valid(d.name)) {
        throw new PlanError(`${path}.name: invalid interface name`);
      }
      const target = d.name || name;
      if (inside.has(target)) {
        throw new PlanError(`${path}: "${target}" is used twice in the container`);
      }
      inside.add(target);
      if (host.kind(`/sys/class/net/${name}`) === "missing") {
        throw new PlanError(`${path}: no such network device on the host`);
      }
      return d.name && d.name !== name ? { name, newName: d.name } : { name };
    }),
  };
}

/**
 * Idmapped mounts (runtime-spec 1.2, kernel >= 5.12): bind mounts only, as runc. The maps are
 * the mount's own, or with a bare `idmap`/`ridmap` option the container's user namespace maps.
 */
function mountIdmap(
  m: NonNullable<Spec["mounts"]>[number],
  i: number,
  isBind: boolean,
  opt: "idmap" | "ridmap" | undefined,
  linux: NonNullable<Spec["linux"]>,
): { idmap?: NonNullable<PlanMount["idmap"]> } {
  const uid = m.uidMappings ?? (opt ? linux.uidMappings : undefined) ?? [];
  const gid = m.gidMappings ?? (opt ? linux.gidMappings : undefined) ?? [];
  if (!uid.length && !gid.length && !opt) return {};
  if (!isBind) {
    throw new PlanError(`mounts[${i}]: idmapped mounts are only supported for bind mounts`);
  }
  if (!uid.length || !gid.length) {
    throw new PlanError(`mounts[${i}]: an idmapped mount needs both uidMappings and gidMappings`);
  }
  const copy = (x: { containerID: number; hostID: number; size: number }) => ({
    containerID: x.containerID,
    hostID: x.hostID,
    size: x.size,
  });
  return { idmap: { uidMaps: uid.map(copy), gidMaps: gid.map(copy), recursive: opt === "ridmap" } };
}

/**
 * linux.uidMappings/gidMappings belong to a new user namespace: both are needed with one, and
 * neither makes sense without one. An unprivileged caller must deny setgroups to map groups.
 */
function userNamespace(linux: NonNullable<Spec["linux"]>, isNew: boolean, joined: boolean) {
  const uid = linux.uidMappings ?? [];
  const gid = linux.gidMappings ?? [];
  if (!isNew) {
    if ((uid.length || gid.length) && !joined) {
      throw new PlanError("linux.uidMappings: set without a user namespace in linux.namespaces");
    }
    return { maps: undefined };
  }
  if (!uid.length || !gid.length) {
    throw new PlanError("linux.uidMappings: a new user namespace needs uid and gid mappings");
  }
  for (const [name, maps] of [["uidMappings", uid], ["gidMappings", gid]] as const) {
    maps.forEach((m, i) => {
      if (m.hostID + m.size > 2 ** 32 - 1 || m.containerID + m.size > 2 ** 32 - 1) {
        throw new PlanError(
          `linux.${name}[${i}]: range ${m.containerID}+${m.size} does not fit 32-bit ids`,
        );
      }
    });
  }
  const euid = Deno.uid() ?? 0;
  return {
    maps: {
      uidMaps: uid.map((m) => ({ containerID: m.containerID, hostID: m.hostID, size: m.size })),
      gidMaps: gid.map((m) => ({ containerID: m.containerID, hostID: m.hostID, size: m.size })),
      setgroupsDeny: euid !== 0,
    },
  };
}

/** What the process itself gets: the same for the container's init and for `exec`. */
export function processFields(process: Process, capLast: number) {
  const caps = process.capabilities ?? {};
  const mask = (names: string[] | undefined) => {
    let m = 0n;
    for (const n of names ?? []) {
      const bit = CAPABILITIES[n];
      // runc ignores capabilities the running kernel does not know.
      if (bit !== undefined && bit <= capLast) m |= 1n << BigInt(bit);
    }
    return m;
  };
  const env = process.env ?? [];
  const pathVar = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  return {
    args: process.args ?? [],
    env,
    cwd: process.cwd,
    uid: process.user?.uid ?? 0,
    gid: process.user?.gid ?? 0,
    additionalGids: process.user?.additionalGids ?? [],
    umask: process.user?.umask,
    caps: {
      bounding: mask(caps.bounding),
      effective: mask(caps.effective),
      inheritable: mask(caps.inheritable),
      permitted: mask(caps.permitted),
      ambient: mask(caps.ambient),
    },
    capLast,
    rlimits: (process.rlimits ?? []).map((r) => ({
      type: RLIMITS[r.type],
      soft: rlimitValue(r.soft),
      hard: rlimitValue(r.hard),
    })),
    noNewPrivs: process.noNewPrivileges === true,
    oomScoreAdj: process.oomScoreAdj,
    pathDirs: pathVar.split(":").filter((d) => d !== ""),
  };
}

/** runc's rules (utils_linux.go): a terminal needs a console socket unless we relay it. */
export function planTerminal(
  terminal: boolean,
  size: { height: number; width: number } | undefined,
  opts: Pick<PlanOptions, "consoleSocket" | "consoleRelay">,
): PlanTerminal | undefined {
  if (!terminal) {
    if (opts.consoleSocket) {
      throw new PlanError("cannot use console socket if runc will not detach or allocate tty");
    }
    return undefined;
  }
  if (opts.consoleRelay && opts.consoleSocket) {
    throw new PlanError("cannot use console socket if runc will not detach or allocate tty");
  }
  if (!opts.consoleRelay && !opts.consoleSocket) {
    throw new PlanError(
      "process.terminal: cannot allocate tty if runc will detach without setting console socket",
    );
  }
  return {
    consoleSocket: opts.consoleSocket,
    relay: opts.consoleRelay === true,
    rows: size?.height ?? 0,
    cols: size?.width ?? 0,
  };
}

function rlimitValue(v: number): bigint {
  // JSON numbers lose precision above 2^53: treat anything at the top of the range as infinity.
  return v >= 2 ** 64 - 1 || v < 0 ? RLIM_INFINITY : BigInt(Math.trunc(v));
}

/** Absolute, clean path inside the container (relative destinations are relative to /). */
export function containerPath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return "/" + parts.join("/");
}

function absolute(p: string, base: string): string {
  if (p.startsWith("/")) return p;
  return `${base}/${p}`.replace(/\/+/g, "/").replace(/\/\.$/, "");
}
