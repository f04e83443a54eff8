// Bundles for the sandbox's tests: the raw-syscall probe at /probe, the sandbox probe at /sbox
// (tests/helpers/sandbox_probe.c), annotations, and a loopback the workload can bring up.
import { makeBundle, type SpecObject } from "./bundle.ts";
import { buildStatic } from "./cbuild.ts";
import { probeBinary } from "./probe.ts";

/** /probe (raw syscalls) and /sbox (sandbox_probe) in the container, the annotations given. */
export function sandboxBundle(
  args: string[],
  annotations: Record<string, string> = {},
  edit?: (s: SpecObject) => void,
) {
  return makeBundle(args, (s) => {
    s.mounts.push(
      { destination: "/probe", type: "bind", source: probeBinary(), options: ["rbind", "ro"] },
      {
        destination: "/sbox",
        type: "bind",
        source: buildStatic("sandbox_probe"),
        options: ["rbind", "ro"],
      },
    );
    s.annotations = { ...(s.annotations ?? {}), ...annotations };
    edit?.(s);
  });
}

/** CAP_NET_ADMIN, so the workload can bring its namespace's loopback up (`ip link set lo up`). */
export function loopback(s: SpecObject) {
  for (const set of ["bounding", "effective", "permitted"]) {
    s.process.capabilities[set].push("CAP_NET_ADMIN");
  }
}
