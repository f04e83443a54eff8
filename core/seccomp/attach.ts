// create's seccomp step: compile linux.seccomp into the plan and keep the BPF with the container
// (record.seccomp) so `exec` can load the same filter.
import type { RuntimeContext } from "../container/context.ts";
import type { LaunchPlan } from "../plan/types.ts";
import type { Spec } from "../spec/types.ts";
import type { ContainerRecord } from "../state/types.ts";
import { prepareSeccomp } from "./prepare.ts";
import { SeccompError } from "./translate.ts";

/** Under the state root: shared by every container of that root, only root can write it. */
export function seccompCacheDir(root: string): string {
  return `${root}/.seccomp-cache`;
}

export async function attachSeccomp(
  ctx: RuntimeContext,
  spec: Spec,
  plan: LaunchPlan,
  record: ContainerRecord,
  dir: string,
): Promise<void> {
  const seccomp = spec.linux?.seccomp;
  if (!seccomp) return;
  if (!ctx.seccompCompiler) {
    throw new SeccompError("linux.seccomp: this runtime was built without a seccomp compiler");
  }
  const t0 = performance.now();
  const compiler = await ctx.seccompCompiler();
  const p = await prepareSeccomp(seccomp, compiler, seccompCacheDir(ctx.store.root), {
    ociVersion: spec.ociVersion,
    id: record.id,
    bundle: record.bundle,
    annotations: spec.annotations,
  }, { noNewPrivs: plan.noNewPrivs, effectiveCaps: plan.caps.effective });
  if (p.skipped.length) {
    ctx.log.debug(`seccomp: skipped syscalls unknown to libseccomp: ${p.skipped.join(", ")}`);
  }
  ctx.log.debug(
    `seccomp: ${p.plan.bpf.length / 8} instructions, ${p.cacheHit ? "cached" : "compiled"} in ` +
      `${(performance.now() - t0).toFixed(1)} ms`,
  );
  const bpfPath = `${dir}/seccomp.bpf`;
  Deno.writeFileSync(bpfPath, p.plan.bpf, { mode: 0o600 });
  plan.seccomp = p.plan;
  record.seccomp = { ...p.record, bpfPath };
}
