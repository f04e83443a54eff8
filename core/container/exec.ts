// `exec`: a new process in a running container, started by its own sentry (the same program
// in exec mode) so that, like the container's init, the pid engines get is a supervisor that
// exits with the process's status. runc's rules: a stopped container refuses, a paused one
// needs --ignore-paused, and the runtime's own failures exit 255.
import { buildExecPlan } from "../plan/exec_plan.ts";
import { execPlacement } from "./cgroups.ts";
import { parseReply, sentryRequest } from "../sentry/client.ts";
import type { Process, Spec } from "../spec/types.ts";
import { RuntimeError } from "../state/errors.ts";
import { readProcStat } from "../state/liveness.ts";
import { writeFileAtomic } from "../state/store.ts";
import type { RuntimeContext } from "./context.ts";
import { killSentry } from "./destroy.ts";
import { waitForeground } from "./foreground.ts";
import { launchSentry } from "./launch.ts";
import { currentStatus } from "./status.ts";
import { execSeccomp } from "../seccomp/prepare.ts";

export interface ExecOptions {
  process: Process;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
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
  const initAlive = readProcStat(record.initPid)?.startTime === record.initStartTime;
  if (status === "stopped" || !initAlive) {
    throw new RuntimeError("cannot exec in a stopped container", 255);
  }
  if (status === "paused" && !o.ignorePaused) {
    throw new RuntimeError(
      "cannot exec in a paused container (use --ignore-paused to override)",
      255,
    );
  }
  const spec = recordedSpec(ctx, id);
  const tag = crypto.randomUUID().slice(0, 8);
  const dir = ctx.store.dir(id);
  const controlSocket = `${dir}/exec-${tag}.sock`;
  const plan = buildExecPlan(spec, o.process, {
    id,
    initPid: record.initPid,
    initStartTime: record.initStartTime ?? 0,
    notifySocket: `${dir}/exec-${tag}.notify`,
    controlSocket,
    logPath: `${dir}/sentry.log`,
    preserveFds: o.preserveFds ?? 0,
    consoleSocket: o.consoleSocket,
    consoleRelay: !o.detach,
    capLast: ctx.host.capLast(),
  });
  // the filter create compiled, loaded by the exec'd process too (core/seccomp/prepare.ts)
  if (record.seccomp) plan.seccomp = execSeccomp(record.seccomp, spec, record.bundle, plan);
  // The exec'd process joins the container's cgroups, as runc's (PROTOCOL.md §6a).
  if (record.cgroup) Object.assign(plan, execPlacement(record.cgroup));
  const { sentry } = await launchSentry(ctx, plan, `${dir}/exec-${tag}.plan`, 60_000, () => {});
  const { ok, rest } = parseReply(
    await sentryRequest(controlSocket, "start").catch((e) => `error ${e.message}`),
  );
  if (!ok) {
    await killSentry(sentry);
    throw new RuntimeError(rest, 255);
  }
  // conmon tells "runtime failed" from "command failed" by this file existing.
  if (o.pidFile) writeFileAtomic(o.pidFile, String(sentry.pid), 0o644);
  if (o.detach) {
    sentry.unref();
    return 0;
  }
  return await waitForeground(controlSocket, sentry, plan.terminal?.relay === true);
}
