// `restore` (runc's): a new container from a bundle whose process tree CRIU restores from an
// image instead of cloning an init. The restored init is a child of the restore's caller
// (criu --restore-sibling, as runc), so the engine reaps it as after create; a new sentry
// attaches to it (plan tag ATTACH) and supervises it as a sidecar; state says running.
// Everything that can be refused is refused before anything exists; a failure later removes
// what was made (the container's state and cgroups, a half-restored tree).
import type { RuntimeContext } from "../container/context.ts";
import { loadSpec, rfc3339Nano } from "../container/create.ts";
import { setupContainerCgroups } from "../container/cgroups.ts";
import { destroy, killSentry } from "../container/destroy.ts";
import { launchSentry } from "../container/launch.ts";
import { waitForeground } from "../container/foreground.ts";
import { deleteContainer } from "../container/delete.ts";
import { buildPlan } from "../plan/resolve.ts";
import { sandboxFilter } from "../sandbox/filter.ts";
import {
  describePolicy,
  POLICY_KEYS,
  PolicyError,
  readPolicyFile,
  resolvePolicy,
  type SandboxPolicy,
} from "../sandbox/policy.ts";
import { ERR_EXISTS, RuntimeError } from "../state/errors.ts";
import { readProcStat } from "../state/liveness.ts";
import { writeFileAtomic } from "../state/store.ts";
import type { ContainerRecord } from "../state/types.ts";
import type { Spec } from "../spec/types.ts";
import { externalNamespaces, restoreArgs } from "./describe.ts";
import type { RestoreOptions } from "./options.ts";
import { refuseLazyPages } from "./options.ts";
import { probeCriu } from "./probe.ts";
import { runCriu } from "./run.ts";

/** The fds namespaces joined by path are handed to CRIU on (above its stdio). */
const NS_FD_BASE = 20;

/** A restored container cannot get a seccomp listener back: its policy must mediate nothing. */
function refuseMediation(ctx: RuntimeContext, spec: Spec): SandboxPolicy {
  let mediated: string[] = [];
  let policy: SandboxPolicy;
  try {
    const defaults = ctx.policyFile ? readPolicyFile(ctx.policyFile) : {};
    policy = resolvePolicy(spec.annotations, defaults, `--policy ${ctx.policyFile}`);
    mediated = sandboxFilter(policy, { bounding: 0n, agentListener: false })?.mediated ?? [];
    if (mediated.length === 0 && policy.virtualize) mediated = ["virtual /proc files"];
  } catch (e) {
    if (e instanceof PolicyError) throw new RuntimeError(`restore: ${e.message}`);
    throw e;
  }
  if (mediated.length > 0) {
    throw new RuntimeError(
      `restore: the bundle's sandbox policy mediates ${mediated.join(", ")}, and a restored ` +
        "process tree cannot be put under a new seccomp listener (it would run unmediated); " +
        `restore it with the annotation ${POLICY_KEYS.mediation}=off, as it was checkpointed`,
    );
  }
  if (spec.linux?.seccomp?.listenerPath) {
    throw new RuntimeError(
      "restore: linux.seccomp.listenerPath: a seccomp agent's listener " +
        "cannot be given to a restored process tree",
    );
  }
  if (spec.process?.terminal) {
    throw new RuntimeError(
      "restore: process.terminal: CRIU's command line cannot hand a " +
        "restored terminal to --console-socket",
    );
  }
  return policy;
}

/** The image directory must hold a CRIU dump (its inventory). */
function checkImage(imagePath: string): void {
  try {
    if (!Deno.statSync(imagePath).isDirectory) throw new Error("not a directory");
  } catch (e) {
    throw new RuntimeError(`invalid --image-path ${imagePath}: ${(e as Error).message}`);
  }
  try {
    Deno.statSync(`${imagePath}/inventory.img`);
  } catch {
    throw new RuntimeError(
      `invalid --image-path ${imagePath}: no CRIU image there (inventory.img is missing)`,
    );
  }
}

/** runc's descriptors.json: the dumped init's stdio; pipes are handed over as our own 0-2. */
function inheritedStdio(imagePath: string): Array<{ fd: number; key: string }> {
  let fds: unknown;
  try {
    fds = JSON.parse(Deno.readTextFileSync(`${imagePath}/descriptors.json`));
  } catch {
    return [];
  }
  if (!Array.isArray(fds)) return [];
  const out: Array<{ fd: number; key: string }> = [];
  fds.slice(0, 3).forEach((link, fd) => {
    if (typeof link === "string" && /^pipe:\[\d+\]$/.test(link)) out.push({ fd, key: link });
  });
  return out;
}

async function sh(args: string[]): Promise<void> {
  const out = await new Deno.Command(args[0], {
    args: args.slice(1),
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (out.code !== 0) {
    throw new RuntimeError(`${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

export async function restore(
  ctx: RuntimeContext,
  id: string,
  opts: RestoreOptions,
  criuBinary = "criu",
): Promise<number> {
  refuseLazyPages(opts.lazyPages, "restore");
  try {
    ctx.store.read(id);
    throw new RuntimeError(ERR_EXISTS);
  } catch (e) {
    if ((e as Error).message === ERR_EXISTS) throw e;
  }
  const spec = loadSpec(opts.bundle);
  const policy = refuseMediation(ctx, spec);
  checkImage(opts.imagePath);
  const criu = await probeCriu(criuBinary);
  if (!criu.available) throw new RuntimeError(`restore: ${criu.reason}`);
  if (!opts.detach && !opts.noSubreaper) (await ctx.procs()).setChildSubreaper();
  const lock = ctx.store.claim(id);
  const dir = ctx.store.dir(id);
  const root = `${dir}/criu-root`;
  let mounted = false;
  let restoredPid = 0;
  let sentry: Deno.ChildProcess | undefined;
  // the restored tree has its own mount namespace: our view of its root is needed no longer
  // (and never remove the state directory while the rootfs is bound inside it)
  const unmount = async () => {
    if (mounted) await sh(["umount", "-l", root]);
    mounted = false;
    try {
      Deno.removeSync(root);
    } catch { /* not made, or gone with the state directory */ }
  };
  try {
    const plan = buildPlan(spec, {
      id,
      bundle: opts.bundle,
      notifySocket: `${dir}/notify.sock`,
      controlSocket: `${dir}/sentry.sock`,
      logPath: `${dir}/sentry.log`,
      noPivot: opts.noPivot,
      noNewKeyring: false,
      preserveFds: 0,
      consoleSocket: undefined,
      pidfdSocket: undefined,
      consoleRelay: false,
    }, ctx.host);
    const record: ContainerRecord = {
      id,
      ociVersion: spec.ociVersion,
      bundle: opts.bundle,
      rootfs: plan.rootfs,
      created: rfc3339Nano(new Date()),
      owner: "",
      annotations: spec.annotations,
      status: "creating",
      pid: 0,
      pidStartTime: 0,
      sentryPid: 0,
      sentryStartTime: 0,
      controlSocket: `${dir}/sentry.sock`,
      // the attack-surface filter came back with the tree (CRIU restores seccomp filters)
      sandbox: {
        policy: describePolicy(policy),
        mediated: [],
        refused: [],
        note: "restored by CRIU: the filters are those of the checkpointed tree",
      },
    };
    ctx.store.write(record);
    await setupContainerCgroups(ctx, spec, plan, record, dir);
    Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(spec), { mode: 0o600 });
    // CRIU pivots into the root it is given, which must be a mount point (runc does the same)
    Deno.mkdirSync(root, { mode: 0o700 });
    await sh(["mount", "--rbind", plan.rootfs, root]);
    mounted = true;
    const nsPaths = externalNamespaces(spec, (p) => Deno.statSync(p).ino ?? 0)
      .map((ns, i) => ({ ...ns, fd: NS_FD_BASE + i }));
    const pidFile = `${dir}/restored.pid`;
    const args = restoreArgs({
      spec,
      opts,
      root,
      pidFile,
      // CRIU takes the root absolute within each hierarchy
      cgroupPath: record.cgroup ? `/${record.cgroup.path.replace(/^\/+/, "")}` : undefined,
      externalNs: nsPaths,
      inheritStdio: inheritedStdio(opts.imagePath),
      hasMaskedFiles: (spec.linux?.maskedPaths ?? []).length > 0,
    });
    ctx.log.debug(`restore ${id}: ${criuBinary} ${args.join(" ")}`);
    await runCriu("restore", {
      binary: criuBinary,
      args,
      logPath: `${opts.workPath}/restore.log`,
      inheritStdio: true,
      openFds: nsPaths.map((n) => ({ fd: n.fd, path: n.path })),
    });
    restoredPid = Number(Deno.readTextFileSync(pidFile).trim());
    const st = readProcStat(restoredPid);
    if (!Number.isSafeInteger(restoredPid) || restoredPid <= 0 || !st) {
      throw new RuntimeError(`restore: CRIU reported no live init (pid file ${pidFile})`);
    }
    record.pid = restoredPid;
    record.pidStartTime = st.startTime;
    ctx.store.write(record);
    const { sentry: started } = await launchSentry(
      ctx,
      {
        ...plan,
        seccomp: undefined,
        sandbox: undefined,
        attach: { pid: restoredPid, startTime: st.startTime },
      },
      `${dir}/plan`,
      60_000,
      (child) => {
        sentry = child;
        record.sentryPid = child.pid;
        record.sentryStartTime = readProcStat(child.pid)?.startTime ?? 0;
        ctx.store.write(record);
      },
    );
    sentry = started;
    record.status = "running";
    ctx.store.write(record);
    if (opts.pidFile) writeFileAtomic(opts.pidFile, String(record.pid), 0o644);
  } catch (e) {
    if (sentry) await killSentry(sentry);
    if (restoredPid > 0) {
      const port = await ctx.procs();
      const st = readProcStat(restoredPid);
      if (st) port.signal(restoredPid, st.startTime, 9);
      await port.waitChild(restoredPid).catch(() => {});
    }
    await unmount().catch((u) => {
      throw new RuntimeError(`${(e as Error).message}; and ${(u as Error).message}`);
    });
    destroy(ctx, id);
    throw e;
  } finally {
    lock.release();
  }
  try {
    await unmount();
  } catch (e) {
    ctx.log.warn(`restore ${id}: ${(e as Error).message}`);
  }
  if (opts.detach) {
    (sentry as Deno.ChildProcess | undefined)?.unref();
    return 0;
  }
  const status = await waitForeground(ctx, {
    pid: restoredPid,
    sentry: sentry!,
    controlSocket: `${dir}/sentry.sock`,
    relaysTerminal: false,
  });
  await deleteContainer(ctx, id, true);
  return status;
}
