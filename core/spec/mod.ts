/**
 * OCI runtime-spec `config.json` parsing and validation (spec versions 1.0.x – 1.3.x).
 *
 * ```ts
 * const spec = parseSpec(JSON.parse(await Deno.readTextFile(`${bundle}/config.json`)));
 * const process = requireProcess(spec);
 * ```
 */

export type * from "./types.ts";
export { SpecError } from "./errors.ts";
export { parseSpec, requireProcess } from "./validate.ts";
export {
  isSupportedVersion,
  NEWEST_SUPPORTED,
  type OciVersion,
  OLDEST_SUPPORTED,
  parseOciVersion,
} from "./version.ts";
export {
  CAPABILITIES,
  IOPRIO_CLASSES,
  MEMORY_POLICY_FLAGS,
  MEMORY_POLICY_MODES,
  NAMESPACES,
  PERSONALITY_DOMAINS,
  RLIMITS,
  ROOTFS_PROPAGATION,
  SCHEDULER_FLAGS,
  SCHEDULER_POLICIES,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHITECTURES,
  SECCOMP_FILTER_FLAGS,
  SECCOMP_OPERATORS,
} from "./tables.ts";
