// `exec`: a new process in a running container, cloned by a sentry of its own (the same program
// in exec mode) with CLONE_PARENT, so the process is our child and then our caller's (conmon's,
// the shim's), exactly like runc's exec. runc's rules: a stopped container refuses, a paused one
// needs --ignore-paused, and the runtime's own failures exit 255.
import { buildExecPlan } from "../plan/exec_plan.ts";
import { cgroupFs, execPlacement } from "./cgroups.ts";
import { subCgroupPlacement } from "./exec_cgroup.ts";
import { parseReply, sentryRequest } from "../sentry/client.ts";
import type { Process, Spec } from "../spec/types.ts";
import { RuntimeError } from "../state/errors.ts";
import { isAlive } from "../state/liveness.ts";
import { writeFileAtomic } from "../state/store.ts";
import type { RuntimeContext } from "./context.ts";
import { killSentry } from "./destroy.ts";
import { waitForeground } from "./foreground.ts";
import { launchSentry } from "./launch.ts";
import { currentStatus } from "./status.ts";
import { execSeccomp, loadEarly } from "../seccomp/prepare.ts";
import { execSandbox } from "../sandbox/attach.ts";

export interface ExecOptions {
  process: Process;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
  /** --cgroup values: join these existing sub-cgroups of the container's (exec_cgroup.ts). */
  subCgroups?: string[];
  /**
   * With detach: the process execs only once this (short-lived CLI) process has exited, so the
   * engine that waits for us has read the pid file before the process can exit. Not for a
   * long-lived caller (mod.ts): its exit would never come.
   */
  releaseOnExit?: boolean;
}

/** The container's config as create recorded it (exec defaults come from it). */
export function recordedSpec(ctx: RuntimeContext, id: string): Spec {
  return JSON.parse(Deno.readTextFileSync(`${ctx.store.dir(id)}/config.json`));
}

export async function exec(
  ctx: RuntimeContext,
  idOrPrefix: string,
  o: ExecOptions,
): Promise<number> {
  const id = ctx.store.lookup(idOrPrefix);
  const record = ctx.store.read(id);
  const status = currentStatus(record);
  if (status === "stopped" || status === "creating" || !isAlive(record.pid, record.pidStartTime)) {
    throw new RuntimeError("cannot exec in a stopped container", 255);
  }
  if (status === "paused" && !o.ignorePaused) {
    throw new RuntimeError(
      "cannot exec in a paused container (use --ignore-paused to override)",
      255,
    );
  }
  refuseLsm(o.process);
  const spec = recordedSpec(ctx, id);
  const tag = crypto.randomUUID().slice(0, 8);
  const dir = ctx.store.dir(id);
  const controlSocket = `${dir}/exec-${tag}.sock`;
  const plan = buildExecPlan(spec, o.process, {
    id,
    initPid: record.pid,
    initStartTime: record.pidStartTime,
    notifySocket: `${dir}/exec-${tag}.notify`,
    controlSocket,
    logPath: `${dir}/sentry.log`,
    preserveFds: o.preserveFds ?? 0,
    consoleSocket: o.consoleSocket,
    consoleRelay: !o.detach,
    detach: o.detach === true && o.releaseOnExit === true,
    pidfdSocket: o.pidfdSocket,
    capLast: ctx.host.capLast(),
  });
  // the filter create compiled, loaded by the exec'd process too (core/seccomp/prepare.ts)
  if (record.seccomp) plan.seccomp = execSeccomp(record.seccomp, spec, record.bundle, plan);
  // and moat's own, its listener handed to the container's sentry (core/sandbox/attach.ts)
  const sandbox = execSandbox(record.sandbox, record.controlSocket);
  if (sandbox) {
    sandbox.early = plan.seccomp
      ? plan.seccomp.early
      : loadEarly(plan.noNewPrivs, plan.caps.effective);
    plan.sandbox = sandbox;
  }
  // The exec'd process joins the container's cgroups, as runc's (PROTOCOL.md §6a).
  if (o.subCgroups?.length) {
    if (!record.cgroup) throw new RuntimeError("exec --cgroup: the container has no cgroup", 255);
    const fs = cgroupFs(ctx);
    Object.assign(plan, subCgroupPlacement(record.cgroup, o.subCgroups, (d) => fs.exists(d)));
  } else if (record.cgroup) Object.assign(plan, execPlacement(record.cgroup));
  const { sentry, childPid } = await launchSentry(
    ctx,
    plan,
    `${dir}/exec-${tag}.plan`,
    60_000,
    () => {},
  );
  const { ok, rest } = parseReply(
    await sentryRequest(ctx, controlSocket, "start").catch((e) => `error ${e.message}`),
  );
  if (!ok) {
    await killSentry(sentry);
    await (await ctx.procs()).waitChild(childPid).catch(() => {});
    throw new RuntimeError(rest, 255);
  }
  // conmon tells "runtime failed" from "command failed" by this file existing; written last,
  // and the caller exits right after it (releaseOnExit)
  if (o.pidFile) writeFileAtomic(o.pidFile, String(childPid), 0o644);
  if (o.detach) {
    sentry.unref();
    return 0;
  }
  return await waitForeground(ctx, {
    pid: childPid,
    sentry,
    controlSocket,
    relaysTerminal: plan.terminal?.relay === true,
  });
}

/** moat applies no LSM label: an exec process asking for one is refused (as create does). */
function refuseLsm(p: Process): void {
  if (p.apparmorProfile) {
    throw new RuntimeError(
      "process.apparmorProfile: AppArmor profiles are not supported by moat",
      255,
    );
  }
  if (p.selinuxLabel) {
    throw new RuntimeError("process.selinuxLabel: SELinux labels are not supported by moat", 255);
  }
}
