// What moat's seccomp supports, for `moat features` (runtime-spec features-linux.md): fixed at
// build time, not probed from the host.
import {
  SECCOMP_ACTIONS,
  SECCOMP_ARCHITECTURES,
  SECCOMP_FILTER_FLAGS,
  SECCOMP_OPERATORS,
} from "../spec/tables.ts";

/** Architectures libseccomp 2.5.4 (the one linked into libmoat) knows. */
const LIBSECCOMP_254_ARCHES = new Set([
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",
]);

export interface SeccompFeatures {
  enabled: boolean;
  actions: string[];
  operators: string[];
  archs: string[];
  knownFlags: string[];
  supportedFlags: string[];
}

export function seccompFeatures(): SeccompFeatures {
  const flags = Object.keys(SECCOMP_FILTER_FLAGS);
  return {
    enabled: true,
    actions: Object.keys(SECCOMP_ACTIONS),
    operators: Object.keys(SECCOMP_OPERATORS),
    archs: Object.keys(SECCOMP_ARCHITECTURES).filter((a) => LIBSECCOMP_254_ARCHES.has(a)),
    knownFlags: flags,
    // seccomp(2) is called by the init itself, so every flag the spec names is passed through
    // (WAIT_KILLABLE_RECV is dropped on kernels before 5.19).
    supportedFlags: flags,
  };
}
