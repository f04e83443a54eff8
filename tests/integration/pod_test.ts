// Pods (issue 12): the CRI's annotations recorded and listed, the sandbox's policy applying to
// the pod's containers (a container may only tighten egress), the pod's trace, the cgroup parent.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, type SpecObject, uniqueId, WORK } from "../helpers/bundle.ts";
import { assertCreateRefused, moat, moatToFile, ROOT, waitFor } from "../helpers/moat.ts";
import { loopback, sandboxBundle } from "../helpers/sandbox.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

/** containerd's CRI annotations for a pod's sandbox or one of its containers */
function cri(type: "sandbox" | "container", sandbox: string): Record<string, string> {
  return {
    "io.kubernetes.cri.container-type": type,
    "io.kubernetes.cri.sandbox-id": sandbox,
    "io.kubernetes.cri.sandbox-name": "web-0",
    "io.kubernetes.cri.sandbox-namespace": "default",
  };
}

async function created(
  args: string[],
  ann: Record<string, string>,
  id: string,
  edit?: (s: SpecObject) => void,
) {
  const bundle = sandboxBundle(args, ann, (s) => {
    loopback(s);
    s.root.readonly = false;
    edit?.(s);
  });
  const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
  assertEquals(c.code, 0, c.stderr);
  return bundle;
}

async function started(
  args: string[],
  ann: Record<string, string>,
  id: string,
  edit?: (s: SpecObject) => void,
) {
  const bundle = await created(args, ann, id, edit);
  const s = await moat(["start", id]);
  assertEquals(s.code, 0, s.stderr);
  return bundle;
}

async function output(bundle: string, id: string): Promise<string[]> {
  await waitFor(
    async () => JSON.parse((await moat(["state", id])).stdout).status === "stopped",
    15_000,
  );
  return Deno.readTextFileSync(`${bundle}/out`).trim().split("\n");
}

Deno.test({
  name: "pods: the CRI annotations are recorded; list shows each container's sandbox, --sandbox",
  ...root,
  async fn() {
    const s = uniqueId("pod");
    const c = uniqueId("podc");
    try {
      await created(["sleep", "60"], cri("sandbox", s), s);
      await created(["sleep", "60"], cri("container", s), c);
      const st = JSON.parse((await moat(["state", c])).stdout);
      assertEquals(st.annotations["io.kubernetes.cri.sandbox-id"], s);
      const rec = JSON.parse(Deno.readTextFileSync(`${ROOT}/${c}/state.json`));
      assertEquals(rec.pod, {
        type: "container",
        sandboxId: s,
        sandboxName: "web-0",
        sandboxNamespace: "default",
      });
      const all = JSON.parse((await moat(["list", "--format", "json"])).stdout);
      assertEquals(all.find((x: { id: string }) => x.id === c).sandbox, s);
      assertEquals(all.find((x: { id: string }) => x.id === s).sandbox, s);
      const only = JSON.parse((await moat(["list", "--sandbox", "--format", "json"])).stdout);
      assert(only.some((x: { id: string }) => x.id === s));
      assert(!only.some((x: { id: string }) => x.id === c), "a pod's container is not a sandbox");
      const text = (await moat(["list"])).stdout.split("\n");
      assertStringIncludes(text[0], "SANDBOX");
      assert(text.some((l) => l.startsWith(c) && l.trimEnd().endsWith(s)), text.join("\n"));
      // CRI-O's names too
      const o = uniqueId("crio");
      await created(["true"], {
        "io.kubernetes.cri-o.ContainerType": "container",
        "io.kubernetes.cri-o.SandboxID": s,
      }, o);
      assertEquals(JSON.parse(Deno.readTextFileSync(`${ROOT}/${o}/state.json`)).pod.sandboxId, s);
      await moat(["delete", "--force", o]);
    } finally {
      for (const id of [c, s]) await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "pods: the sandbox's policy applies to its containers; a container only tightens egress",
  ...root,
  async fn() {
    const s = uniqueId("pol");
    const ids = [s];
    // a listener on every port the containers try, so a refusal by the sentry (111) is told
    // from a connection made
    const tries =
      "ip link set lo up; for p in 1 2 3; do nc -l -p 800$p -e true & done; sleep 0.3; " +
      "for a in 1 2 3; do /sbox connect 127.0.0.1 800$a; done; uname -r";
    try {
      await started(["sleep", "60"], {
        ...cri("sandbox", s),
        "dev.moat.uname.release": "4.19.0-pod",
        "dev.moat.egress.deny": "127.0.0.1/32:8002",
      }, s);
      const plain = uniqueId("polc");
      ids.push(plain);
      const b1 = await started(["sh", "-c", tries], cri("container", s), plain);
      assertEquals(await output(b1, plain), ["ok", "errno 111", "ok", "4.19.0-pod"], "inherited");
      // an allow of what the pod denies does not widen it; an own deny tightens
      const widen = uniqueId("polw");
      ids.push(widen);
      const b2 = await started(["sh", "-c", tries], {
        ...cri("container", s),
        "dev.moat.egress.default": "allow",
        "dev.moat.egress.allow": "127.0.0.1/32:8002",
        "dev.moat.egress.deny": "127.0.0.1/32:8003",
      }, widen);
      assertEquals(await output(b2, widen), ["ok", "errno 111", "errno 111", "4.19.0-pod"]);
      const st = JSON.parse((await moat(["state", widen])).stdout);
      assertEquals(st.sandbox.podEgress.deny, ["127.0.0.1/32:8002"]);
    } finally {
      for (const id of ids.reverse()) await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "pods: moat trace on the sandbox follows every container of the pod",
  ...root,
  async fn() {
    const s = uniqueId("ptr");
    const c = uniqueId("ptrc");
    try {
      await started(["sleep", "60"], { ...cri("sandbox", s), "dev.moat.trace": "connect" }, s);
      const tracer = new Deno.Command("bin/moat", {
        args: ["--root", ROOT, "trace", s],
        cwd: new URL("../..", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const b = await started(
        ["sh", "-c", "sleep 1; /sbox connect 169.254.169.254 80; sleep 1"],
        cri("container", s),
        c,
      );
      await output(b, c);
      await moat(["kill", s, "KILL"]);
      const out = new TextDecoder().decode((await tracer.output()).stdout);
      const lines = out.trim().split("\n").map((l) => JSON.parse(l));
      const e = lines.find((l) => l.event === "connect");
      assertEquals([e.id, e.address, e.decision], [c, "169.254.169.254:80", "deny"]);
    } finally {
      for (const id of [c, s]) await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "pods: the cgroup parent annotation places the pod's containers (runsc's key too)",
  ...root,
  async fn() {
    const parent = `/moat-pod-${Deno.pid}`;
    const s = uniqueId("cgp");
    const c = uniqueId("cgpc");
    const g = uniqueId("cgpg");
    try {
      await created(["sleep", "60"], {
        ...cri("sandbox", s),
        "dev.moat.spec.cgroup-parent": parent,
      }, s);
      await created(
        ["sleep", "60"],
        cri("container", s),
        c,
        (x) => (x.linux.cgroupsPath = `/kubepods/${c}`),
      );
      await created(["true"], { "dev.gvisor.spec.cgroup-parent": parent }, g);
      const path = (id: string) =>
        JSON.parse(Deno.readTextFileSync(`${ROOT}/${id}/state.json`)).cgroup.path;
      assertEquals(path(s), `${parent}/${s}`);
      assertEquals(path(c), `${parent}/${c}`, "inherited from the sandbox, the leaf kept");
      assertEquals(path(g), `${parent}/${g}`);
      assert(Deno.statSync(`/sys/fs/cgroup/memory${parent}/${c}`).isDirectory);
    } finally {
      for (const id of [g, c, s]) await moat(["delete", "--force", id]);
      try {
        for (
          const ctl of [
            "memory",
            "pids",
            "cpu",
            "cpuacct",
            "cpuset",
            "blkio",
            "devices",
            "freezer",
            "systemd",
            "unified",
          ]
        ) {
          try {
            Deno.removeSync(`/sys/fs/cgroup/${ctl}${parent}`);
          } catch { /* not created there */ }
        }
      } catch { /* best effort */ }
    }
    await assertCreateRefused([
      [
        (x) => (x.annotations = { "dev.moat.spec.cgroup-parent": "relative" }),
        "annotation dev.moat.spec.cgroup-parent: invalid value",
      ],
    ]);
    assertEquals(WORK.length > 0, true);
  },
});
