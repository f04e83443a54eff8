// The sandbox policy of a container (DESIGN §4): from its `dev.moat.*` annotations, over the
// defaults of a policy file (the global `--policy FILE`, which Docker's runtimeArgs and podman's
// runtime flags can pass), over moat's built-in defaults. A malformed value is an error naming
// the annotation (or file) and the value.
import { type Cidr, parseCidrList } from "./cidr.ts";

export const TRACE_FAMILIES = [
  "exec",
  "connect",
  "bind",
  "open-write",
  "setuid",
  "mount",
  "ptrace",
  "denied",
] as const;
export type TraceFamily = typeof TRACE_FAMILIES[number];

export interface SandboxPolicy {
  /** The attack-surface filter (surface.ts): "default" or "off". */
  surface: "default" | "off";
  /** sysinfo(2) and the LXCFS files show the container's limits. */
  virtualize: boolean;
  uname: { release?: string; version?: string };
  egress: { default: "allow" | "deny"; allow: Cidr[]; deny: Cidr[] };
  trace: TraceFamily[];
  /** Absolute host path the trace's JSON lines are appended to. */
  traceFile?: string;
}

/** The annotation keys (users and tests rely on these exact names). */
export const POLICY_KEYS = {
  surface: "dev.moat.surface",
  virtualize: "dev.moat.virtualize",
  unameRelease: "dev.moat.uname.release",
  unameVersion: "dev.moat.uname.version",
  egressDefault: "dev.moat.egress.default",
  egressAllow: "dev.moat.egress.allow",
  egressDeny: "dev.moat.egress.deny",
  trace: "dev.moat.trace",
  traceFile: "dev.moat.trace.file",
  mediation: "dev.moat.mediation",
} as const;

/** Cloud metadata endpoints (AWS/GCP/Azure IPv4, AWS IPv6): denied unless a policy says else. */
export const DEFAULT_EGRESS_DENY = "169.254.169.254/32,fd00:ec2::254/128";

export class PolicyError extends Error {}

/** What each key accepts, for `features` and the errors. */
export const POLICY_VALUES: Record<string, string> = {
  [POLICY_KEYS.surface]: "default|off",
  [POLICY_KEYS.virtualize]: "on|off",
  [POLICY_KEYS.unameRelease]: "string (default: the host's)",
  [POLICY_KEYS.unameVersion]: "string (default: the host's)",
  [POLICY_KEYS.egressDefault]: "allow|deny",
  [POLICY_KEYS.egressAllow]: "comma list of CIDR or CIDR:port (IPv4, IPv6)",
  [POLICY_KEYS.egressDeny]: `comma list of CIDR or CIDR:port (default ${DEFAULT_EGRESS_DENY})`,
  [POLICY_KEYS.trace]: `comma list of ${TRACE_FAMILIES.join(", ")}, or all`,
  [POLICY_KEYS.traceFile]: "absolute host path",
  [POLICY_KEYS.mediation]: "on|off (off: nothing mediated, as a checkpoint needs)",
};

/**
 * The policy in force: `annotations` over `defaults` (a policy file's keys, same names) over the
 * built-in defaults. `where` names the source of a default in errors (the policy file's path).
 */
export function resolvePolicy(
  annotations: Record<string, string> | undefined,
  defaults: Record<string, string> = {},
  where = "policy file",
): SandboxPolicy {
  const get = (key: string): [string | undefined, string] => {
    if (annotations && key in annotations) return [annotations[key], `annotation ${key}`];
    if (key in defaults) return [defaults[key], `${where}: ${key}`];
    return [undefined, key];
  };
  const choice = <T extends string>(key: string, allowed: readonly T[], dflt: T): T => {
    const [v, src] = get(key);
    if (v === undefined) return dflt;
    if (!(allowed as readonly string[]).includes(v)) {
      throw new PolicyError(`${src}: invalid value ${JSON.stringify(v)} (${allowed.join(" or ")})`);
    }
    return v as T;
  };
  const text = (key: string): string | undefined => {
    const [v, src] = get(key);
    if (v === undefined) return undefined;
    if (new TextEncoder().encode(v).length > 64 || [...v].some((ch) => ch.charCodeAt(0) < 0x20)) {
      throw new PolicyError(
        `${src}: invalid value ${
          JSON.stringify(v)
        } (at most 64 printable bytes, as uname(2) holds)`,
      );
    }
    return v;
  };
  const cidrs = (key: string, dflt: string): Cidr[] => {
    const [v, src] = get(key);
    try {
      return parseCidrList(v ?? dflt);
    } catch (e) {
      throw new PolicyError(`${src}: ${(e as Error).message}`);
    }
  };
  // mediation=off: the sentry holds no seccomp listener (CRIU cannot checkpoint one), so every
  // feature answered through it is off by default and asking for one is a conflict
  const mediation = choice(POLICY_KEYS.mediation, ["on", "off"] as const, "on");
  if (mediation === "off") return unmediated(get, choice);
  const [traceText, traceSrc] = get(POLICY_KEYS.trace);
  const trace: TraceFamily[] = [];
  for (const f of (traceText ?? "").split(",").map((x) => x.trim()).filter(Boolean)) {
    if (f === "all") trace.push(...TRACE_FAMILIES);
    else if ((TRACE_FAMILIES as readonly string[]).includes(f)) trace.push(f as TraceFamily);
    else {
      throw new PolicyError(
        `${traceSrc}: invalid value ${JSON.stringify(traceText)}: unknown event family ` +
          `${JSON.stringify(f)} (${TRACE_FAMILIES.join(", ")}, or all)`,
      );
    }
  }
  const [traceFile, fileSrc] = get(POLICY_KEYS.traceFile);
  if (traceFile !== undefined && (!traceFile.startsWith("/") || traceFile.includes("\0"))) {
    throw new PolicyError(
      `${fileSrc}: invalid value ${JSON.stringify(traceFile)} (an absolute path)`,
    );
  }
  const release = text(POLICY_KEYS.unameRelease);
  const version = text(POLICY_KEYS.unameVersion);
  return {
    surface: choice(POLICY_KEYS.surface, ["default", "off"] as const, "default"),
    virtualize: choice(POLICY_KEYS.virtualize, ["on", "off"] as const, "on") === "on",
    uname: {
      ...(release !== undefined ? { release } : {}),
      ...(version !== undefined ? { version } : {}),
    },
    egress: {
      default: choice(POLICY_KEYS.egressDefault, ["allow", "deny"] as const, "allow"),
      allow: cidrs(POLICY_KEYS.egressAllow, ""),
      deny: cidrs(POLICY_KEYS.egressDeny, DEFAULT_EGRESS_DENY),
    },
    trace: [...new Set(trace)],
    ...(traceFile !== undefined ? { traceFile } : {}),
  };
}

/** The policy of dev.moat.mediation=off; a key that needs mediation is an error naming it. */
function unmediated(
  get: (key: string) => [string | undefined, string],
  choice: <T extends string>(key: string, allowed: readonly T[], dflt: T) => T,
): SandboxPolicy {
  const conflict = (key: string, ok: (v: string) => boolean) => {
    const [v, src] = get(key);
    if (v !== undefined && !ok(v)) {
      throw new PolicyError(
        `${src}: ${JSON.stringify(v)} needs the sentry's mediation, which ` +
          `${POLICY_KEYS.mediation}=off turns off`,
      );
    }
  };
  conflict(POLICY_KEYS.virtualize, (v) => v === "off");
  conflict(POLICY_KEYS.unameRelease, () => false);
  conflict(POLICY_KEYS.unameVersion, () => false);
  conflict(POLICY_KEYS.egressDefault, (v) => v === "allow");
  conflict(POLICY_KEYS.egressAllow, (v) => v.trim() === "");
  conflict(POLICY_KEYS.egressDeny, (v) => v.trim() === "");
  conflict(POLICY_KEYS.trace, (v) => v.trim() === "");
  conflict(POLICY_KEYS.traceFile, () => false);
  return {
    surface: choice(POLICY_KEYS.surface, ["default", "off"] as const, "default"),
    virtualize: false,
    uname: {},
    egress: { default: "allow", allow: [], deny: [] },
    trace: [],
  };
}

/** A policy file: a JSON object of `dev.moat.*` keys to string values. */
export function readPolicyFile(path: string): Record<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    throw new PolicyError(`--policy ${path}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new PolicyError(`--policy ${path}: must be a JSON object of dev.moat.* keys`);
  }
  const known = new Set<string>(Object.values(POLICY_KEYS));
  for (const [k, v] of Object.entries(raw)) {
    if (!known.has(k)) throw new PolicyError(`--policy ${path}: unknown key ${JSON.stringify(k)}`);
    if (typeof v !== "string") throw new PolicyError(`--policy ${path}: ${k} must be a string`);
  }
  return raw as Record<string, string>;
}

/** The policy as `state` shows it (strings, as a user would write them). */
export function describePolicy(p: SandboxPolicy): Record<string, unknown> {
  return {
    surface: p.surface,
    virtualize: p.virtualize ? "on" : "off",
    ...(p.uname.release !== undefined ? { unameRelease: p.uname.release } : {}),
    ...(p.uname.version !== undefined ? { unameVersion: p.uname.version } : {}),
    egress: {
      default: p.egress.default,
      allow: p.egress.allow.map((c) => c.text),
      deny: p.egress.deny.map((c) => c.text),
    },
    trace: p.trace,
    ...(p.traceFile ? { traceFile: p.traceFile } : {}),
  };
}
