// Pods (DESIGN §11): which container is a pod's sandbox and which belong to it, as the CRI tells
// the runtime through annotations (containerd's and CRI-O's names); the sandbox's policy applies
// to the pod's containers (a container may only tighten its egress), and runsc's cgroup-parent
// annotation places them.

export interface PodInfo {
  /** "sandbox": the pod's pause container; "container": one of its containers. */
  type: "sandbox" | "container";
  sandboxId: string;
  sandboxName?: string;
  sandboxNamespace?: string;
}

const CONTAINERD = {
  type: "io.kubernetes.cri.container-type",
  id: "io.kubernetes.cri.sandbox-id",
  name: "io.kubernetes.cri.sandbox-name",
  namespace: "io.kubernetes.cri.sandbox-namespace",
};
const CRIO = {
  type: "io.kubernetes.cri-o.ContainerType",
  id: "io.kubernetes.cri-o.SandboxID",
  name: "io.kubernetes.cri-o.SandboxName",
  namespace: "io.kubernetes.cri-o.Namespace",
};

/** The cgroup parent of a pod's containers: moat's key, and runsc's for compatibility. */
export const CGROUP_PARENT_KEYS = ["dev.moat.spec.cgroup-parent", "dev.gvisor.spec.cgroup-parent"];

export function podInfo(a: Record<string, string> | undefined, id: string): PodInfo | undefined {
  if (!a) return undefined;
  for (const k of [CONTAINERD, CRIO]) {
    const type = a[k.type];
    if (type !== "sandbox" && type !== "container") continue;
    const sandboxId = type === "sandbox" ? (a[k.id] || id) : a[k.id];
    if (!sandboxId) continue;
    return {
      type,
      sandboxId,
      ...(a[k.name] ? { sandboxName: a[k.name] } : {}),
      ...(a[k.namespace] ? { sandboxNamespace: a[k.namespace] } : {}),
    };
  }
  return undefined;
}

/** The `dev.moat.*` keys of a set of annotations (what a pod's containers inherit). */
export function moatKeys(a: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(a ?? {}).filter(([k]) => k.startsWith("dev.moat.")));
}

/**
 * The container's cgroupsPath under a cgroup parent annotation: `<parent>/<last component of
 * cgroupsPath, or the id>` (runsc keeps a pod's containers under one parent the same way).
 * Refuses a relative or dotted parent, naming the annotation.
 */
export function cgroupsPathUnder(
  a: Record<string, string> | undefined,
  cgroupsPath: string | undefined,
  id: string,
): string | undefined {
  const key = CGROUP_PARENT_KEYS.find((k) => a?.[k] !== undefined);
  if (!key) return cgroupsPath;
  const parent = a![key].replace(/\/+$/, "");
  if (!parent.startsWith("/") || parent.split("/").some((c) => c === ".." || c === ".")) {
    throw new Error(
      `annotation ${key}: invalid value ${JSON.stringify(a![key])} (an absolute cgroup path)`,
    );
  }
  if (cgroupsPath?.includes(":")) {
    throw new Error(
      `annotation ${key}: cannot be combined with a systemd cgroupsPath (${cgroupsPath})`,
    );
  }
  const leaf = (cgroupsPath ?? "").split("/").filter(Boolean).pop() ?? id;
  return `${parent}/${leaf}`;
}
