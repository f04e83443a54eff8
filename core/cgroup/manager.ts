// A container's cgroups from create to delete: create the directories (recording which ones moat
// made), enable v2 controllers down the path, apply linux.resources, attach the device program,
// freeze/thaw, list processes, and remove exactly what moat created.
import type { Device, Resources } from "../spec/types.ts";
import { effectiveRules, v1WritesFor } from "./devices.ts";
import { compileDeviceFilter, encodeInsns } from "./devices_bpf.ts";
import { type CgroupFs, describeError } from "./fs.ts";
import { innerPath, resolveDirs } from "./paths.ts";
import { type PlanOutput, planV1 } from "./resources_v1.ts";
import { planV2 } from "./resources_v2.ts";
import { CgroupError, type CgroupLayout, type CgroupRecord } from "./types.ts";
import type { CgroupWrite } from "./write.ts";

/** Loads a compiled device program and attaches it to a cgroup2 directory (ffi/ implements it). */
export interface DeviceBpfLoader {
  attach(cgroupDir: string, insns: Uint8Array): void;
}

export interface CgroupEnv {
  fs: CgroupFs;
  layout: CgroupLayout;
  /** The caller's cgroup per hierarchy key (/proc/self/cgroup). */
  own: Map<string, string>;
  bpf?: DeviceBpfLoader;
  /** Receives warnings (fields accepted but not enforced, as runc does). */
  warn?: (msg: string) => void;
  /** Called with the record before any directory is created (crash journal). */
  journal?: (r: CgroupRecord) => void;
}

export interface SetupInput {
  id: string;
  cgroupsPath?: string;
  systemd: boolean;
  resources?: Resources;
  linuxDevices?: Device[];
}

function parentDir(p: string): string {
  return p.slice(0, p.lastIndexOf("/")) || "/";
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Every directory of the record: v1 dirs (deduplicated: combined hierarchies) and the v2 dir. */
export function allDirs(r: CgroupRecord): string[] {
  return unique([...Object.values(r.v1), ...(r.v2 ? [r.v2] : [])]);
}

/** Directories that do not exist yet, from the top of each hierarchy down. */
function missingDirs(fs: CgroupFs, dirs: string[], mounts: Set<string>): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    const chain: string[] = [];
    let cur = d;
    while (!mounts.has(cur) && cur !== "/" && !fs.exists(cur)) {
      chain.unshift(cur);
      cur = parentDir(cur);
    }
    for (const c of chain) if (!out.includes(c)) out.push(c);
  }
  return out;
}

export function planRecord(env: CgroupEnv, input: SetupInput): CgroupRecord {
  const inner = innerPath(input.cgroupsPath, input.id, input.systemd);
  const dirs = resolveDirs(env.layout, inner, env.own);
  const mounts = new Set([
    ...Object.values(env.layout.v1),
    ...(env.layout.v2Mount ? [env.layout.v2Mount] : []),
  ]);
  return {
    driver: inner.driver,
    mode: env.layout.mode,
    path: inner.path,
    v1: dirs.v1,
    v2: dirs.v2,
    created: missingDirs(
      env.fs,
      unique([...Object.values(dirs.v1), ...(dirs.v2 ? [dirs.v2] : [])]),
      mounts,
    ),
    resources: input.resources,
  };
}

/**
 * Creates and configures the container's cgroups. On any error every directory it created is
 * removed again before the error propagates.
 */
export function setup(
  env: CgroupEnv,
  input: SetupInput,
  rec: CgroupRecord = planRecord(env, input),
): CgroupRecord {
  // Plan every write before touching the host: a field this host cannot enforce fails here.
  const planned = planWrites(env, rec, input.resources ?? {}, true, input.linuxDevices);
  env.journal?.(rec);
  try {
    const mounts = [
      ...Object.values(env.layout.v1),
      ...(env.layout.v2Mount ? [env.layout.v2Mount] : []),
    ];
    for (const d of rec.created) mkdirIn(env.fs, d, mounts);
    initCpuset(env.fs, rec);
    if (rec.v2) enableControllers(env, rec.v2, planned.writes);
    applyWrites(env.fs, rec, planned.writes);
    for (const f of planned.ignored) {
      env.warn?.(`linux.resources.${f} is not enforced (ignored, as runc does)`);
    }
    if (rec.v2 && input.resources?.devices !== undefined) attachDevices(env, rec, input);
  } catch (e) {
    remove(env.fs, rec, 0);
    throw e;
  }
  return rec;
}

/**
 * mkdir; a parent that existed when the record was planned may have been removed since (the
 * container that created it was deleted meanwhile: removeSharedParents), so it is made again.
 */
function mkdirIn(fs: CgroupFs, d: string, mounts: string[], depth = 0): void {
  try {
    fs.mkdir(d);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return;
    const parent = parentDir(d);
    const inHierarchy = mounts.some((m) => parent.startsWith(m + "/"));
    if (e instanceof Deno.errors.NotFound && inHierarchy && depth < 32 && !fs.exists(parent)) {
      mkdirIn(fs, parent, mounts, depth + 1);
      return mkdirIn(fs, d, mounts, depth + 1);
    }
    throw new CgroupError(`mkdir ${d}: ${describeError(e)}`);
  }
}

function planWrites(
  env: CgroupEnv,
  rec: CgroupRecord,
  res: Resources,
  withDevices: boolean,
  linuxDevices?: Device[],
): PlanOutput {
  if (rec.mode === "v2") {
    const v2 = rec.v2!;
    return planV2(res, env.layout, {
      bfq: env.fs.exists(`${parentDir(v2)}/io.bfq.weight`),
      swapFile: env.layout.v2Controllers.includes("memory")
        ? env.fs.exists(`${env.layout.v2Mount}/memory.swap.max`) ||
          env.fs.exists(`${parentDir(v2)}/memory.swap.max`) || undefined
        : undefined,
    });
  }
  const out = planV1({ ...res, devices: undefined }, env.layout, false);
  if (withDevices && rec.v1.devices !== undefined) {
    out.writes.push(...v1WritesFor(effectiveRules(res.devices, linuxDevices)));
  } else if (withDevices && res.devices !== undefined && env.layout.v1.devices === undefined) {
    throw new CgroupError("linux.resources.devices: the devices controller is not mounted");
  }
  return out;
}

/** A new v1 cpuset cgroup has empty cpus/mems; copy them from the nearest ancestor that has them. */
function initCpuset(fs: CgroupFs, rec: CgroupRecord): void {
  const dir = rec.v1.cpuset;
  if (!dir || !rec.created.includes(dir)) return;
  for (const file of ["cpuset.cpus", "cpuset.mems"]) {
    const chain = rec.created.filter((d) => dir === d || dir.startsWith(d + "/"));
    for (const d of chain) {
      if (fs.read(`${d}/${file}`).trim() !== "") continue;
      fs.write(`${d}/${file}`, fs.read(`${parentDir(d)}/${file}`).trim() || "\n");
    }
  }
}

/** v2: every controller a write needs goes into subtree_control of each ancestor of the leaf. */
function enableControllers(env: CgroupEnv, leaf: string, writes: CgroupWrite[]): void {
  const mount = env.layout.v2Mount!;
  // Every available controller (stats need them); only those a write needs must succeed.
  const required = unique(
    writes.filter((w) => w.controller === "").map((w) => w.file.slice(0, w.file.indexOf("."))),
  ).filter((c) => env.layout.v2Controllers.includes(c));
  const wanted = env.layout.v2Controllers.filter((c) =>
    ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"].includes(c)
  );
  if (wanted.length === 0) return;
  const ancestors: string[] = [];
  for (let d = parentDir(leaf); d.length >= mount.length; d = parentDir(d)) {
    ancestors.unshift(d);
    if (d === mount) break;
  }
  for (const a of ancestors) {
    let enabled: string[] = [];
    try {
      enabled = env.fs.read(`${a}/cgroup.subtree_control`).trim().split(/\s+/);
    } catch { /* fake trees may omit it */ }
    const add = wanted.filter((c) => !enabled.includes(c));
    if (add.length === 0) continue;
    try {
      env.fs.write(`${a}/cgroup.subtree_control`, add.map((c) => `+${c}`).join(" "));
    } catch (e) {
      if (env.layout.mode !== "v2" && !add.some((c) => required.includes(c))) continue;
      throw new CgroupError(
        `enable controllers ${add.join(", ")} in ${a}/cgroup.subtree_control: ${describeError(e)}` +
          " (a cgroup2 directory with processes cannot delegate controllers)",
      );
    }
  }
}

export function dirFor(rec: CgroupRecord, controller: string): string | undefined {
  return controller === "" ? rec.v2 : rec.v1[controller];
}

function applyWrites(fs: CgroupFs, rec: CgroupRecord, writes: CgroupWrite[]): void {
  for (let i = 0; i < writes.length; i++) {
    const wr = writes[i];
    const dir = dirFor(rec, wr.controller);
    if (!dir) {
      throw new CgroupError(`${wr.field}: no cgroup directory for ${wr.controller || "cgroup2"}`);
    }
    const path = `${dir}/${wr.file}`;
    try {
      fs.write(path, wr.value);
    } catch (e) {
      // v1: lowering memsw below the current limit fails (and raising the limit above the current
      // memsw): write the pair in the other order.
      const next = writes[i + 1];
      if (
        wr.file === "memory.limit_in_bytes" && next?.file === "memory.memsw.limit_in_bytes"
      ) {
        try {
          fs.write(`${dir}/${next.file}`, next.value);
          fs.write(path, wr.value);
          i++;
          continue;
        } catch { /* report the first error */ }
      }
      if (e instanceof Deno.errors.NotFound && !fs.exists(path)) {
        throw new CgroupError(`${wr.field}: this host cannot enforce it (${path} does not exist)`);
      }
      throw new CgroupError(
        `${wr.field}: write ${JSON.stringify(wr.value)} to ${path}: ${describeError(e)}`,
      );
    }
  }
}

function attachDevices(env: CgroupEnv, rec: CgroupRecord, input: SetupInput): void {
  if (!env.bpf) {
    if (rec.mode === "v2") {
      throw new CgroupError(
        "linux.resources.devices: no BPF loader to enforce device rules on cgroup v2",
      );
    }
    return;
  }
  const prog = compileDeviceFilter(effectiveRules(input.resources?.devices, input.linuxDevices));
  try {
    env.bpf.attach(rec.v2!, encodeInsns(prog));
  } catch (e) {
    throw new CgroupError(
      `linux.resources.devices: attach the device program to ${rec.v2}: ${(e as Error).message}`,
    );
  }
}

/** `update`: apply new resources to a live container (devices are not updated, as runc). */
export function update(env: CgroupEnv, rec: CgroupRecord, res: Resources): void {
  const planned = planWrites(env, rec, { ...res, devices: undefined }, false);
  if (rec.v2) enableControllers(env, rec.v2, planned.writes);
  applyWrites(env.fs, rec, planned.writes);
}

/** Merge an `update` payload into the recorded resources (fields given replace, others stay). */
export function mergeResources(old: Resources | undefined, add: Resources): Resources {
  const out: Resources = structuredClone(old ?? {});
  const o = out as Record<string, unknown>;
  for (const [k, v] of Object.entries(add)) {
    if (v === undefined) continue;
    if (
      v !== null && typeof v === "object" && !Array.isArray(v) && k !== "unified" && k !== "rdma"
    ) {
      o[k] = { ...(o[k] as object ?? {}), ...v };
    } else {
      o[k] = v;
    }
  }
  return out;
}

// ---- processes ----

function pidsIn(fs: CgroupFs, dir: string, depth = 0): number[] {
  let pids: number[] = [];
  try {
    pids = fs.read(`${dir}/cgroup.procs`).split("\n").filter((l) => l !== "").map(Number);
  } catch { /* gone */ }
  if (depth < 32) {
    for (const c of fs.children(dir)) pids.push(...pidsIn(fs, `${dir}/${c}`, depth + 1));
  }
  return pids;
}

/** Where the container's processes are counted: the cgroup2 dir on v2, else a v1 controller. */
export function procsDir(rec: CgroupRecord): string | undefined {
  if (rec.mode === "v2") return rec.v2;
  return rec.v1.freezer ?? rec.v1.pids ?? rec.v1.memory ?? rec.v1.devices ??
    Object.values(rec.v1)[0];
}

/** Host pids in the container's cgroup and its sub-cgroups, sorted. */
export function pids(fs: CgroupFs, rec: CgroupRecord): number[] {
  const dir = procsDir(rec);
  return dir ? unique(pidsIn(fs, dir)).sort((a, b) => a - b) : [];
}

/** The cgroup.procs files the sentry writes its own pid into before it clones the init. */
export function placement(rec: CgroupRecord): { procs: string[]; v2Dir?: string } {
  return { procs: allDirs(rec).map((d) => `${d}/cgroup.procs`), v2Dir: rec.v2 };
}

// ---- freezer ----

export type FreezerState = "FROZEN" | "THAWED";

function useV1Freezer(rec: CgroupRecord): boolean {
  return rec.mode !== "v2" && rec.v1.freezer !== undefined;
}

export function freezerState(fs: CgroupFs, rec: CgroupRecord): FreezerState | undefined {
  try {
    if (useV1Freezer(rec)) {
      const s = fs.read(`${rec.v1.freezer}/freezer.state`).trim();
      return s === "THAWED" ? "THAWED" : "FROZEN"; // FREEZING counts as paused
    }
    if (rec.v2) {
      return fs.read(`${rec.v2}/cgroup.freeze`).trim() === "1" ? "FROZEN" : "THAWED";
    }
  } catch { /* removed */ }
  return undefined;
}

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleepBuf, 0, 0, ms);
}

/** Freezes or thaws and waits until the kernel reports the state reached (or throws). */
export function setFreezer(
  fs: CgroupFs,
  rec: CgroupRecord,
  want: FreezerState,
  timeoutMs = 10_000,
): void {
  const deadline = Date.now() + timeoutMs;
  if (useV1Freezer(rec)) {
    const f = `${rec.v1.freezer}/freezer.state`;
    for (let i = 0;; i++) {
      fs.write(f, want);
      const now = fs.read(f).trim();
      if (now === want) return;
      if (Date.now() > deadline) throw new CgroupError(`${f}: still ${now} after ${timeoutMs} ms`);
      // runc: re-issue FROZEN; tasks in uninterruptible sleep need another pass.
      sleepSync(i < 10 ? 1 : 10);
    }
  }
  if (!rec.v2) throw new CgroupError("no freezer: neither the v1 freezer nor cgroup.freeze exists");
  fs.write(`${rec.v2}/cgroup.freeze`, want === "FROZEN" ? "1" : "0");
  const wantLine = want === "FROZEN" ? "frozen 1" : "frozen 0";
  for (let i = 0;; i++) {
    let events = "";
    try {
      events = fs.read(`${rec.v2}/cgroup.events`);
    } catch {
      /* a fake tree without it: trust the write */
      return;
    }
    if (events.split("\n").includes(wantLine)) return;
    if (Date.now() > deadline) {
      throw new CgroupError(`${rec.v2}: not ${want} after ${timeoutMs} ms`);
    }
    sleepSync(i < 10 ? 1 : 10);
  }
}

// ---- teardown ----

/** Sub-cgroups below `dir` (made by the workload in its cgroup namespace), deepest first. */
function descendants(fs: CgroupFs, dir: string, depth = 0): string[] {
  if (depth > 32) return [];
  const out: string[] = [];
  for (const c of fs.children(dir)) {
    out.push(...descendants(fs, `${dir}/${c}`, depth + 1), `${dir}/${c}`);
  }
  return out;
}

/**
 * Removes every directory moat created, deepest first, killing stragglers and retrying while the
 * kernel still drains a cgroup (EBUSY) for up to `timeoutMs`. Pre-existing directories stay.
 * Only the container's own cgroups (and the sub-cgroups its workload made in them) are drained
 * and killed: a parent moat created on the way (Docker's /docker, podman's /libpod_parent) is
 * shared with every container placed below it later, so it is only removed once empty, and what
 * lives in it is never touched. Returns the container's directories that could not be removed.
 */
export function remove(fs: CgroupFs, rec: CgroupRecord, timeoutMs = 5000): string[] {
  const own = new Set([...Object.values(rec.v1), ...(rec.v2 ? [rec.v2] : [])]);
  const ours = [...rec.created].filter((d) => fs.exists(d));
  if (ours.length === 0) return [];
  // A paused container's processes cannot die until thawed (v1).
  if (freezerState(fs, rec) === "FROZEN") {
    try {
      setFreezer(fs, rec, "THAWED", 1000);
    } catch { /* best effort */ }
  }
  const order: string[] = [];
  for (const d of ours.filter((d) => own.has(d)).sort((a, b) => b.length - a.length)) {
    for (const x of descendants(fs, d)) if (!order.includes(x)) order.push(x);
    if (!order.includes(d)) order.push(d);
  }
  const deadline = Date.now() + timeoutMs;
  let left = order;
  for (let round = 0;; round++) {
    const failed: string[] = [];
    for (const d of left) {
      try {
        fs.rmdir(d);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) continue;
        failed.push(d);
      }
    }
    if (failed.length === 0 || Date.now() > deadline) {
      removeSharedParents(fs, ours.filter((d) => !own.has(d)));
      return failed;
    }
    // Whatever still lives in our cgroups (an orphaned sentry after a killed create) goes.
    for (const d of failed) {
      for (const pid of pidsIn(fs, d)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
    }
    left = failed;
    sleepSync(round < 10 ? 5 : 20);
  }
}

/** Parents moat created, deepest first, each removed only if no other cgroup is in it now. */
function removeSharedParents(fs: CgroupFs, parents: string[]): void {
  for (const d of [...parents].sort((a, b) => b.length - a.length)) {
    if (fs.children(d).length > 0) continue;
    try {
      fs.rmdir(d);
    } catch { /* another container's (its processes or a cgroup made meanwhile) */ }
  }
}
