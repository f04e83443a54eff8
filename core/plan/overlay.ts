// The rootfs overlay (runsc's --overlay2, DESIGN §9): which of the container's filesystems get a
// writable kernel overlayfs over them, and where each upper layer lives. Everything is decided
// here; the sentry only mounts the memory media, makes the layer directories and the overlayfs
// (detached), the init only attaches them (PROTOCOL.md §12).
import { CLONE_NEW, MS } from "../linux/consts.ts";
import { PlanError } from "./errors.ts";
import type { LaunchPlan, PlanOverlay } from "./types.ts";

/** The annotation that selects the overlay per container (it wins over the global flag). */
export const OVERLAY_ANNOTATION = "dev.moat.overlay2";
/** Filestore directories are named so: beside the mount source (self) or under dir=. */
export const FILESTORE_PREFIX = ".moat.filestore.";

export type OverlayMedium = "memory" | "self" | "dir";

export interface OverlayChoice {
  /** root: the rootfs only; all: the rootfs and every writable bind mount of a directory. */
  scope: "root" | "all";
  medium: OverlayMedium;
  /** dir=: the absolute directory the filestore goes under. */
  dir?: string;
  /** size= of the memory medium, in bytes. */
  size?: number;
  /** The value as given, and where it came from (for errors and the record). */
  text: string;
  where: string;
}

const SYNTAX =
  "none, root:MEDIUM or all:MEDIUM, MEDIUM memory[,size=N[k|m|g]], self or dir=/abs/path";

/** Parses `none | root:MEDIUM | all:MEDIUM`; undefined for none. `where` names the flag. */
export function parseOverlay2(text: string, where: string): OverlayChoice | undefined {
  const bad = (why: string) =>
    new PlanError(`${where}: invalid value ${JSON.stringify(text)}: ${why} (want ${SYNTAX})`);
  if (text === "none") return undefined;
  const colon = text.indexOf(":");
  if (colon < 0) throw bad("no scope");
  const scope = text.slice(0, colon);
  if (scope !== "root" && scope !== "all") throw bad(`unknown scope ${JSON.stringify(scope)}`);
  const [medium, ...opts] = text.slice(colon + 1).split(",");
  const choice: OverlayChoice = { scope, medium: "memory", text, where };
  if (medium === "memory" || medium === "self") choice.medium = medium;
  else if (medium.startsWith("dir=")) {
    const dir = medium.slice(4);
    if (!dir.startsWith("/")) throw bad("dir= needs an absolute path");
    if (dir.split("/").includes("..")) throw bad("dir= must not contain ..");
    choice.medium = "dir";
    choice.dir = dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
  } else throw bad(`unknown medium ${JSON.stringify(medium)}`);
  for (const o of opts) {
    const m = /^size=(\d+)([kmg]?)$/i.exec(o);
    if (!m) throw bad(`unknown option ${JSON.stringify(o)}`);
    if (choice.size !== undefined) throw bad("size= given twice");
    const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()]!;
    const size = Number(m[1]) * mult;
    if (!Number.isSafeInteger(size) || size <= 0) throw bad("size= must be a positive size");
    if (choice.medium !== "memory") throw bad("size= applies to the memory medium only");
    choice.size = size;
  }
  return choice;
}

/** The overlay setting in force: the annotation over the global flag; undefined for none. */
export function overlayChoice(
  annotations: Record<string, string> | undefined,
  flag: string | undefined,
): OverlayChoice | undefined {
  const a = annotations?.[OVERLAY_ANNOTATION];
  if (a !== undefined) return parseOverlay2(a, `annotation ${OVERLAY_ANNOTATION}`);
  if (flag !== undefined) return parseOverlay2(flag, "--overlay2");
  return undefined;
}

/** One overlaid filesystem, as planned and as the state record keeps it. */
export interface OverlayLayer {
  /** "/" for the rootfs, else the mount's destination in the container. */
  destination: string;
  /** The medium in force (self may have fallen back to memory). */
  medium: OverlayMedium;
  /** The host path underneath (read-only to the container from now on). */
  lower: string;
  /** The upper layer: everything the container wrote (checkpoint and `tar rootfs-upper`). */
  upper: string;
  work: string;
  /** Where the init mounts the overlay: the rootfs itself, or a directory a bind takes. */
  target: string;
  /** memory: the tmpfs (mounted by the sentry) holding upper and work. */
  tmpfs?: string;
  tmpfsData?: string;
  /** A non-directory source (memory): the file is copied to `target`, which the bind takes. */
  file?: boolean;
  /** The plan mount (index) whose bind now takes `target`; none for the rootfs. */
  mount?: number;
}

export interface OverlayPlan {
  choice: OverlayChoice;
  layers: OverlayLayer[];
  /** Filestore directories to create, exclusively, before anything else (self, dir=). */
  filestores: string[];
  /** Mount points of the memory media, under the state directory (created empty). */
  tmpfsDirs: string[];
  warnings: string[];
}

export interface OverlayHost {
  kind(path: string): "dir" | "file" | "missing";
  /** The device of a path (st_dev), to tell whether it is a mount point of its own. */
  device?(path: string): number | undefined;
}

/** MOUNT_ATTR_RDONLY (mount_setattr), the recursive read-only of `rro`. */
const MOUNT_ATTR_RDONLY = 0x1;
/** Kernel filesystems a bind may take that an overlay cannot have underneath. */
const PSEUDO = ["/proc", "/sys", "/dev"];

/** A path without `.`, `..` and repeated slashes (lexically: aliases by symlink stay apart). */
function normalize(p: string): string {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

function dirname(p: string): string {
  const i = p.replace(/\/+$/, "").lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}

/** overlayfs option values escape `,` `:` and `\` (fs/overlayfs/params.c). */
export function overlayEscape(p: string): string {
  return p.replace(/([\\,:])/g, "\\$1");
}

/**
 * Plans the overlays of a container whose plan buildPlan made: `stateDir` holds the memory
 * media's mount points. Read-only roots and mounts are never overlaid.
 */
export function planOverlays(
  choice: OverlayChoice,
  plan: LaunchPlan,
  opts: { id: string; stateDir: string; memoryLimit?: number },
  host: OverlayHost,
): OverlayPlan {
  const out: OverlayPlan = { choice, layers: [], filestores: [], tmpfsDirs: [], warnings: [] };
  if (!plan.namespaces.some((n) => n.type === CLONE_NEW.mount && !n.path)) {
    throw new PlanError(`${choice.where}: an overlay needs a private mount namespace`);
  }
  if (choice.medium === "dir") {
    if (host.kind(choice.dir!) !== "dir") {
      throw new PlanError(`${choice.where}: dir=${choice.dir}: no such directory`);
    }
  }
  const size = choice.size ??
    (opts.memoryLimit && opts.memoryLimit > 0 ? opts.memoryLimit : undefined);
  const tmpfsData = `mode=0700${size ? `,size=${size}` : ""}`;
  const fileStoreFor = (lower: string): string => {
    const base = choice.medium === "dir" ? choice.dir! : dirname(normalize(lower));
    const fs = `${base === "/" ? "" : base}/${FILESTORE_PREFIX}${opts.id}`;
    if (!out.filestores.includes(fs)) out.filestores.push(fs);
    return fs;
  };
  const add = (destination: string, lower: string, key: string, mount?: number) => {
    const isRoot = mount === undefined;
    let medium = choice.medium;
    const isFile = host.kind(lower) !== "dir";
    if (isFile && medium !== "memory") {
      out.warnings.push(
        `${choice.where}: ${lower} is not a directory: ${destination} uses the memory medium`,
      );
      medium = "memory";
    }
    let layer: OverlayLayer;
    if (medium === "memory") {
      const tmpfs = `${opts.stateDir}/overlay/${key}`;
      out.tmpfsDirs.push(tmpfs);
      layer = isFile
        ? { destination, medium, lower, upper: tmpfs, work: tmpfs, target: `${tmpfs}/file` }
        : {
          destination,
          medium,
          lower,
          upper: `${tmpfs}/upper`,
          work: `${tmpfs}/work`,
          target: isRoot ? lower : `${tmpfs}/merged`,
        };
      layer.tmpfs = tmpfs;
      layer.tmpfsData = tmpfsData;
      if (isFile) layer.file = true;
    } else {
      const store = fileStoreFor(lower);
      const fs = `${store}/${key}`;
      layer = {
        destination,
        medium,
        lower,
        upper: `${fs}/upper`,
        work: `${fs}/work`,
        target: isRoot ? lower : `${fs}/merged`,
      };
      // the kernel refuses an upper inside its lower (or the other way round): say which
      const l = normalize(lower), u = normalize(layer.upper);
      if (inside(u, l) || inside(l, u)) {
        throw new PlanError(
          `${choice.where}: the filestore ${store} would be inside the overlaid ${lower}`,
        );
      }
    }
    if (mount !== undefined) layer.mount = mount;
    out.layers.push(layer);
  };

  if (!plan.rootfsReadonly) add("/", plan.rootfs, "root");
  if (choice.scope === "all") {
    plan.mounts.forEach((m, i) => {
      const bind = (m.flags & MS.BIND) !== 0 && m.type === "";
      const ro = (m.remountFlags & MS.RDONLY) !== 0 ||
        ((m.rattrSet ?? 0) & MOUNT_ATTR_RDONLY) !== 0;
      if (!bind || ro || m.idmap || !m.source.startsWith("/")) return;
      if (PSEUDO.some((p) => inside(m.source, p))) return;
      if (host.kind(m.source) === "missing") return;
      add(m.destination, m.source, `mount${i}`, i);
    });
  }
  return out;
}

/** The plan's side of the overlays: the layers to mount, and binds that now take the merged dirs. */
export function applyOverlays(plan: LaunchPlan, o: OverlayPlan): void {
  const overlays: PlanOverlay[] = o.layers.map((l) => ({
    lower: l.lower,
    upper: l.upper,
    work: l.work,
    target: l.target,
    ...(l.tmpfs ? { tmpfs: l.tmpfs, tmpfsData: l.tmpfsData } : {}),
    ...(l.file ? { file: true } : {}),
  }));
  for (const l of o.layers) if (l.mount !== undefined) plan.mounts[l.mount].source = l.target;
  if (overlays.length) plan.overlays = overlays;
}
