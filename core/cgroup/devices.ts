// The device rules a container's cgroup enforces: linux.resources.devices, then runc's default
// allowed devices, then every device of linux.devices (rwm). The last matching rule wins, starting
// from deny-all (runc's emulator semantics). v1 gets devices.deny/allow writes; v2 gets a
// BPF_PROG_TYPE_CGROUP_DEVICE program compiled from the same list (devices_bpf.ts).
import type { Device, DeviceCgroupRule } from "../spec/types.ts";
import { type CgroupWrite, w } from "./write.ts";

export interface DeviceRule {
  allow: boolean;
  /** "a" (all), "c" or "b". */
  type: "a" | "c" | "b";
  /** -1 = any. */
  major: number;
  minor: number;
  /** Some of r, w, m (never empty). */
  access: string;
}

/** runc's AllowedDevices (libcontainer/specconv): mknod of anything, the standard nodes, ptys. */
export const DEFAULT_ALLOWED: DeviceRule[] = [
  { allow: true, type: "c", major: -1, minor: -1, access: "m" },
  { allow: true, type: "b", major: -1, minor: -1, access: "m" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // /dev/null
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" }, // /dev/random
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, // /dev/full
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" }, // /dev/tty
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // /dev/zero
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" }, // /dev/urandom
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" }, // /dev/console
  { allow: true, type: "c", major: 136, minor: -1, access: "rwm" }, // /dev/pts/*
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" }, // /dev/ptmx
];

export function normalizeRule(r: DeviceCgroupRule): DeviceRule {
  const access = [...new Set((r.access ?? "") === "" ? "rwm" : r.access!)].filter((c) =>
    "rwm".includes(c)
  )
    .sort((a, b) => "rwm".indexOf(a) - "rwm".indexOf(b)).join("");
  return {
    allow: r.allow,
    type: r.type ?? "a",
    major: r.major ?? -1,
    minor: r.minor ?? -1,
    access,
  };
}

export function effectiveRules(
  rules: DeviceCgroupRule[] | undefined,
  linuxDevices: Device[] | undefined,
): DeviceRule[] {
  const out = (rules ?? []).map(normalizeRule);
  out.push(...DEFAULT_ALLOWED);
  for (const d of linuxDevices ?? []) {
    if (d.type !== "c" && d.type !== "b" && d.type !== "u") continue;
    out.push({
      allow: true,
      type: d.type === "b" ? "b" : "c",
      major: d.major ?? -1,
      minor: d.minor ?? -1,
      access: "rwm",
    });
  }
  return out;
}

export function ruleString(r: DeviceRule): string {
  if (r.type === "a" && r.major === -1 && r.minor === -1 && r.access === "rwm") return "a";
  const n = (x: number) => (x === -1 ? "*" : String(x));
  return `${r.type} ${n(r.major)}:${n(r.minor)} ${r.access}`;
}

/** Deny-all first, then every rule in order: the kernel's v1 list ends where runc's would. */
export function v1DeviceWrites(rules: DeviceCgroupRule[]): CgroupWrite[] {
  return v1WritesFor(rules.map(normalizeRule));
}

export function v1WritesFor(rules: DeviceRule[]): CgroupWrite[] {
  const out = [w("devices", "devices.deny", "a", "linux.resources.devices")];
  for (const r of rules) {
    out.push(
      w(
        "devices",
        r.allow ? "devices.allow" : "devices.deny",
        ruleString(r),
        "linux.resources.devices",
      ),
    );
  }
  return out;
}
