// `create`: validate the bundle, plan, start the sentry and wait until the container's init is
// set up and blocked before its execve (runtime-spec lifecycle steps 1-5).
import { mark } from "../timing.ts";
import { buildPlan } from "../plan/resolve.ts";
import type { LaunchPlan } from "../plan/types.ts";
import { parseSpec, requireProcess } from "../spec/mod.ts";
import type { Spec } from "../spec/types.ts";
import { RuntimeError } from "../state/errors.ts";
import { readProcStat } from "../state/liveness.ts";
import { writeFileAtomic } from "../state/store.ts";
import type { ContainerRecord } from "../state/types.ts";
import type { RuntimeContext } from "./context.ts";
import { destroy, killSentry } from "./destroy.ts";
import { launchSentry } from "./launch.ts";
import { prepareOverlay } from "./filestore.ts";
import { cgroupDirs, plannedCgroups, setupContainerCgroups } from "./cgroups.ts";
import { attachSandbox, sandboxCgroups } from "../sandbox/attach.ts";
import { cgroupsPathUnder, moatKeys, type PodInfo, podInfo } from "../sandbox/pod.ts";
import {
  PolicyError,
  readPolicyFile,
  resolvePolicy,
  type SandboxPolicy,
} from "../sandbox/policy.ts";
import { lazyImport } from "../lazy.ts";

type Hooks = typeof import("../hooks/lifecycle.ts");

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** --console-socket: where the pty master goes when process.terminal is set. */
  consoleSocket?: string;
  /** --pidfd-socket: where a pidfd of the init goes (runc 1.2). */
  pidfdSocket?: string;
  /** Foreground run: relay a terminal through the sentry instead of a console socket. */
  consoleRelay?: boolean;
  /** How long to wait for the sentry to report (ms). */
  timeoutMs?: number;
}

export interface Created {
  record: ContainerRecord;
  /**
   * The sentry process; `run` waits for it (it relays a terminal until the container is done),
   * `create` lets it go. The container's init (record.pid) is a child of this process too.
   */
  sentry: Deno.ChildProcess;
  /** The sentry relays a pty to our stdio (foreground run with process.terminal). */
  relaysTerminal: boolean;
}

export function loadSpec(bundle: string): Spec {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${bundle}/config.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new RuntimeError(`open ${bundle}/config.json: no such file or directory`);
    }
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RuntimeError(`${bundle}/config.json: invalid JSON: ${(e as Error).message}`);
  }
  const spec = parseSpec(raw);
  requireProcess(spec);
  return spec;
}

export async function create(ctx: RuntimeContext, opts: CreateOptions): Promise<Created> {
  const bundle = absolutePath(opts.bundle);
  ctx.log.debug(`create ${opts.id}: start (${performance.now().toFixed(1)} ms)`);
  const spec = loadSpec(bundle);
  mark("config.json read and validated");
  // the sandbox policy (and a pod's) is checked before anything exists: a bad value leaves
  // nothing behind
  const { policy, podPolicy, pod } = sandboxPolicy(ctx, spec, opts.id);
  mark("sandbox policy");
  const lock = ctx.store.claim(opts.id);
  mark("state dir claimed");
  const dir = ctx.store.dir(opts.id);
  const notifySocket = `${dir}/notify.sock`;
  const controlSocket = `${dir}/sentry.sock`;
  let sentry: Deno.ChildProcess | undefined;
  let created: ContainerRecord | undefined;
  try {
    const { preserveFds, env } = socketActivation(opts.preserveFds ?? 0, spec.process!.env ?? []);
    checkPreservedFds(preserveFds);
    spec.process!.env = env;
    if (opts.consoleRelay && spec.process!.terminal && !spec.process!.consoleSize) {
      // A relayed terminal starts at the size of ours (later changes come as SIGWINCH).
      try {
        const { rows, columns } = Deno.consoleSize();
        spec.process!.consoleSize = { height: rows, width: columns };
      } catch { /* our stdout is not a terminal */ }
    }
    const plannedCg = await plannedCgroups(ctx, spec, opts.id);
    const plan = buildPlan(spec, {
      id: opts.id,
      bundle,
      notifySocket,
      controlSocket,
      logPath: `${dir}/sentry.log`,
      noPivot: opts.noPivot ?? false,
      noNewKeyring: opts.noNewKeyring ?? false,
      preserveFds,
      consoleSocket: opts.consoleSocket ? absolutePath(opts.consoleSocket) : undefined,
      pidfdSocket: opts.pidfdSocket ? absolutePath(opts.pidfdSocket) : undefined,
      consoleRelay: opts.consoleRelay,
      cgroupDirs: cgroupDirs(plannedCg),
    }, ctx.host);
    mark("plan built");

    const record: ContainerRecord = {
      id: opts.id,
      ociVersion: spec.ociVersion,
      bundle,
      rootfs: plan.rootfs,
      created: rfc3339Nano(new Date()),
      owner: "",
      annotations: spec.annotations,
      status: "creating",
      pid: 0,
      pidStartTime: 0,
      sentryPid: 0,
      sentryStartTime: 0,
      controlSocket,
    };
    // Hooks and seccomp cost module loads: only containers that use them pay (every CLI call
    // starts Deno afresh).
    const hookLib = spec.hooks ? await lazyImport<Hooks>("core/hooks/lifecycle.ts") : undefined;
    const hooks = hookLib?.recordedHooks(spec);
    if (hooks) record.hooks = hooks;
    created = record;
    // the rootfs overlay (--overlay2): journaled in overlay.json before any filestore exists
    prepareOverlay(ctx, spec, plan, record, dir, podAnnotations(ctx, pod));
    if (spec.linux?.seccomp) {
      await (await lazyImport<typeof import("../seccomp/attach.ts")>("core/seccomp/attach.ts"))
        .attachSeccomp(ctx, spec, plan, record, dir);
    }
    // moat's own filter and mediation, stacked on linux.seccomp's (core/sandbox/)
    if (pod) record.pod = pod;
    mark("hooks and seccomp prepared");
    record.sandbox = await attachSandbox(ctx, policy, plan, dir, spec.linux?.seccomp, podPolicy);
    // Cgroups exist and are configured before the sentry starts; it places the init in them.
    mark("sandbox filter compiled");
    await setupContainerCgroups(ctx, spec, plan, record, dir, plannedCg);
    mark("cgroups created and written");
    sandboxCgroups(plan, record.cgroup);
    // Later calls (exec, delete's hooks) use this copy: edits to config.json after create have
    // no effect (runtime-spec lifecycle step 2).
    Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(spec), { mode: 0o600 });
    const { sentry: started, childPid: initPid } = await launchSentry(
      ctx,
      plan,
      `${dir}/plan`,
      opts.timeoutMs ?? 60_000,
      (child) => {
        // recorded at once: `delete --force` after a create killed from here on finds it
        sentry = child;
        record.sentryPid = child.pid;
        record.sentryStartTime = readProcStat(child.pid)?.startTime ?? 0;
        ctx.store.write(record);
      },
      // prestart, createRuntime: the init waits before pivot_root (core/hooks/lifecycle.ts)
      plan.attrs?.hookPause && hookLib
        ? (initPid) => {
          record.pid = initPid;
          record.pidStartTime = readProcStat(initPid)?.startTime ?? 0;
          return hookLib.runCreateHooks(ctx, spec, record);
        }
        : undefined,
    );
    sentry = started;
    mark("sentry reported the init ready");
    await guardEgress(ctx, plan, record);
    mark("egress guard");
    record.pid = initPid;
    record.pidStartTime = readProcStat(initPid)?.startTime ?? 0;
    record.status = "created";
    if (
      !plan.attrs?.hooks.some((h) => h.kind === "startContainer") &&
      !record.hooks?.poststart?.length && !plan.seccomp?.notify && !plan.attrs?.cpuAffinityFinal
    ) record.startAfterExit = true;
    ctx.store.write(record);
    // last: containerd considers create complete once the pid file exists
    if (opts.pidFile) writeFileAtomic(absolutePath(opts.pidFile), String(record.pid), 0o644);
    mark("state written");
    return { record, sentry, relaysTerminal: plan.terminal?.relay === true };
  } catch (e) {
    if (sentry) await killSentry(sentry);
    if (created?.pid) await killCreatedInit(ctx, created);
    destroy(ctx, opts.id);
    // runtime-spec lifecycle: a failed create continues at "destroy", then poststop
    if (sentry && created?.hooks) {
      await (await lazyImport<Hooks>("core/hooks/lifecycle.ts")).runPoststop(ctx, created);
    }
    throw e;
  } finally {
    lock.release();
  }
}

/**
 * The container's policy: its annotations over its pod sandbox's `dev.moat.*` keys (when the
 * sandbox is in this state root) over the --policy file; the sandbox's own policy too, which the
 * container's egress may only tighten. A cgroup parent annotation (own or the pod's) moves the
 * container's cgroupsPath under it.
 */
function sandboxPolicy(
  ctx: RuntimeContext,
  spec: Spec,
  id: string,
): { policy: SandboxPolicy; podPolicy?: SandboxPolicy; pod?: PodInfo } {
  try {
    const where = `--policy ${ctx.policyFile}`;
    const defaults = ctx.policyFile ? readPolicyFile(ctx.policyFile) : {};
    const pod = podInfo(spec.annotations, id);
    let sandboxAnnotations: Record<string, string> | undefined;
    if (pod?.type === "container") {
      try {
        sandboxAnnotations = ctx.store.read(pod.sandboxId).annotations ?? {};
      } catch { /* the sandbox is not in this state root: no pod policy */ }
    }
    const inherited = moatKeys(sandboxAnnotations);
    const policy = resolvePolicy(spec.annotations, { ...defaults, ...inherited }, where);
    const podPolicy = sandboxAnnotations
      ? resolvePolicy(sandboxAnnotations, defaults, where)
      : undefined;
    if (spec.linux) {
      spec.linux.cgroupsPath = cgroupsPathUnder(
        { ...inherited, ...spec.annotations },
        spec.linux.cgroupsPath,
        id,
      );
    }
    return { policy, ...(podPolicy ? { podPolicy } : {}), ...(pod ? { pod } : {}) };
  } catch (e) {
    if (e instanceof PolicyError || (e as Error).message?.startsWith("annotation ")) {
      throw new RuntimeError((e as Error).message);
    }
    throw e;
  }
}

/**
 * The egress guard (core/sandbox/egress_bpf.ts) on the container's cgroup2 leaf, before the
 * workload can run (the init waits for start): only the sentry's own connect and sendmsg calls
 * pass. Defence in depth: where the kernel or the host cannot attach it, a warning says so.
 */
async function guardEgress(ctx: RuntimeContext, plan: LaunchPlan, r: ContainerRecord) {
  if (!plan.sandbox?.egress || !r.cgroup?.v2 || !ctx.egressGuard || !r.sandbox) return;
  const { egressGuard, GUARDED_HOOKS } = await lazyImport<
    typeof import("../sandbox/egress_bpf.ts")
  >(
    "core/sandbox/egress_bpf.ts",
  );
  try {
    (await ctx.egressGuard()).attach(r.cgroup.v2, GUARDED_HOOKS, egressGuard(r.sentryPid));
    r.sandbox.egressGuard = true;
  } catch (e) {
    ctx.log.warn(`egress guard not attached to ${r.cgroup.v2}: ${(e as Error).message}`);
  }
}

/** The `dev.moat.*` keys of a container's pod sandbox (a pod's containers inherit them). */
function podAnnotations(ctx: RuntimeContext, pod: PodInfo | undefined): Record<string, string> {
  if (pod?.type !== "container") return {};
  try {
    return moatKeys(ctx.store.read(pod.sandboxId).annotations);
  } catch {
    return {};
  }
}

/** A create that failed after the init was reported: the init is our child, kill and reap it. */
async function killCreatedInit(ctx: RuntimeContext, r: ContainerRecord): Promise<void> {
  const port = await ctx.procs();
  port.signal(r.pid, r.pidStartTime, 9);
  await port.waitChild(r.pid).catch(() => {});
}

/**
 * systemd socket activation (runc utils_linux.go): when LISTEN_PID is ours, its LISTEN_FDS come
 * first and the container sees LISTEN_PID=1.
 */
function socketActivation(preserve: number, env: string[]): { preserveFds: number; env: string[] } {
  const listenPid = Deno.env.get("LISTEN_PID");
  const listenFds = Number(Deno.env.get("LISTEN_FDS") ?? "0");
  if (listenPid !== String(Deno.pid) || !Number.isSafeInteger(listenFds) || listenFds <= 0) {
    return { preserveFds: preserve, env };
  }
  const rest = env.filter((e) => !e.startsWith("LISTEN_FDS=") && !e.startsWith("LISTEN_PID="));
  return {
    preserveFds: preserve + listenFds,
    env: [...rest, `LISTEN_FDS=${listenFds}`, "LISTEN_PID=1"],
  };
}

/**
 * Every fd handed to the container must really come from our caller: Deno's own fds are all
 * close-on-exec, so an inherited one is recognisable by the flag being clear.
 */
function checkPreservedFds(n: number): void {
  for (let i = 0; i < n; i++) {
    const fd = 3 + i;
    let flags = "";
    try {
      flags = /^flags:\s*(\d+)/m.exec(Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`))?.[1] ?? "";
    } catch { /* not open */ }
    if (flags === "" || (parseInt(flags, 8) & 0o2000000) !== 0) {
      throw new RuntimeError(`unable to stat preserved-fd ${i} (of ${n}): bad file descriptor`);
    }
  }
}

export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

function absolutePath(p: string): string {
  return p.startsWith("/") ? p : `${Deno.cwd()}/${p}`.replace(/\/\.?$/, "");
}
