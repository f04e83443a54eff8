// Kubernetes through containerd 1.6's CRI plugin, with the tests as the kubelet: a pod with the
// runtime handler "moat" (runc v2 shim, BinaryName = bin/moat), two containers sharing its
// network and pid namespaces, ExecSync, exit codes, an OOM kill, and a pod removal that leaves
// no process, mount, cgroup, network namespace or state behind.
//
// MOAT_CRI_RUNTIME=/usr/sbin/runc runs the same scenario with runc as the handler's binary: the
// check of the harness itself.
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, MOAT } from "../helpers/bundle.ts";
import type { ContainerConfig, ContainerStatus, PodSandboxConfig } from "../helpers/cri_client.ts";
import {
  BUSYBOX_IMAGE,
  cgroupRoots,
  CriContainerd,
  memoryLimitFile,
  POD_SUBNET,
} from "../helpers/cri_containerd.ts";
import { have } from "../helpers/engines.ts";

const RUNTIME = Deno.env.get("MOAT_CRI_RUNTIME") || MOAT;
const enabled = isRoot() && have("containerd") && have("ctr") && have("unshare") && have("ip") &&
  have("/usr/lib/cni/bridge");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    }
    await sleep(100);
  }
}

function nsOf(pid: number, type: string): string {
  return Deno.readLinkSync(`/proc/${pid}/ns/${type}`);
}

/** A process's start time (field 22 of /proc/<pid>/stat), to tell it from a recycled pid. */
function startTime(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Host processes whose command line mentions one of `ids` (shims, runtime processes). */
function processesNaming(ids: string[]): string[] {
  const found: string[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      if (ids.some((id) => cmd.includes(id))) found.push(`${e.name}: ${cmd}`);
    } catch { /* gone */ }
  }
  return found;
}

/** The pids of every process in the mount namespace `mntNs` (a /proc/<pid>/ns/mnt link). */
function processesIn(mntNs: string): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${e.name}/ns/mnt`) === mntNs) pids.push(Number(e.name));
    } catch { /* gone */ }
  }
  return pids;
}

function cmdline(pid: number): string {
  try {
    return `${pid}: ${Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ")}`;
  } catch {
    return `${pid}: gone`;
  }
}

function listDir(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** `ps -o pid,args` as [pid, args] pairs. */
function parsePs(out: string): [number, string][] {
  return out.trim().split("\n").slice(1).map((l) => {
    const m = l.trim().match(/^(\d+)\s+(.*)$/);
    if (!m) throw new Error(`unexpected ps line: ${l}`);
    return [Number(m[1]), m[2]];
  });
}

Deno.test({
  name: `CRI: a pod through containerd's CRI plugin with the handler "moat" (${RUNTIME})`,
  ignore: !enabled,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const cd = new CriContainerd(RUNTIME);
    await cd.start();
    const cri = cd.cri;
    const uid = crypto.randomUUID();
    const shared = { network: "POD", pid: "POD", ipc: "POD" } as const;
    const pod: PodSandboxConfig = {
      metadata: { name: "moat-pod", uid, namespace: "moat-e2e" },
      hostname: "moat-pod",
      logDirectory: `${cd.logDir}/${uid}`,
      annotations: {
        "dev.moat.e2e": "pod",
        "example.com/not-passed": "x",
        // the pod's egress policy (pod_annotations): both containers are under it
        "dev.moat.egress.deny": "169.254.169.254/32,127.0.0.1/32:9099",
      },
      linux: {
        cgroupParent: cd.cgroupParent(uid),
        securityContext: { namespaceOptions: shared },
      },
    };
    Deno.mkdirSync(pod.logDirectory!, { recursive: true });
    /** The pod's id and its containers', in creation order. */
    const ids: string[] = [];
    let podId = "";
    const container = (name: string, args: string[], extra: Partial<ContainerConfig> = {}) => ({
      metadata: { name },
      image: { image: BUSYBOX_IMAGE },
      command: args,
      logPath: `${name}.log`,
      ...extra,
      linux: { ...extra.linux, securityContext: { namespaceOptions: shared } },
    });
    const status = async (id: string): Promise<ContainerStatus> =>
      (await cri.containerStatus(id)).status;
    const exited = (id: string) =>
      until(`${id} to exit`, async () => {
        const s = await status(id);
        return s.state === "CONTAINER_EXITED" ? s : undefined;
      });
    const started = async (config: ContainerConfig): Promise<string> => {
      const id = await cri.createContainer(podId, config, pod);
      ids.push(id);
      await cri.startContainer(id);
      return id;
    };
    const pidOf = async (id: string): Promise<number> => {
      const { info } = await cri.containerStatus(id);
      return info.info.pid;
    };
    const stateDir = `${cd.runtimeRoot}/k8s.io`;
    try {
      await t.step("the CRI answers: containerd 1.6, CRI API v1", async () => {
        const v = await cri.version();
        assertEquals(v.runtimeName, "containerd");
        assert(v.runtimeVersion.startsWith("1.6."), v.runtimeVersion);
        assertEquals(v.runtimeApiVersion, "v1");
      });

      let sandboxPid = 0;
      let netnsPath = "";
      let podIp = "";
      await t.step("RunPodSandbox with the handler moat: ready, on the CNI bridge", async () => {
        podId = await cri.runPodSandbox(pod, "moat");
        ids.push(podId);
        const { status: s, info } = await cri.podSandboxStatus(podId);
        assertEquals(s.state, "SANDBOX_READY");
        assertEquals(s.runtimeHandler, "moat");
        assertEquals(info.info.runtimeOptions.binary_name, RUNTIME);
        podIp = s.network?.ip ?? "";
        assert(podIp.startsWith(POD_SUBNET.split(".").slice(0, 3).join(".") + "."), podIp);
        sandboxPid = info.info.pid;
        assert(sandboxPid > 0);
        const spec = info.info.runtimeSpec;
        assertEquals(spec.process.args, ["/pause"]);
        netnsPath = spec.linux.namespaces.find((n: { type: string }) => n.type === "network").path;
        assertStringIncludes(netnsPath, `${cd.dir}/state/`);
        // the CRI's annotations, and the pod's dev.moat.* (pod_annotations) but no other
        const a = spec.annotations;
        assertEquals(a["io.kubernetes.cri.container-type"], "sandbox");
        assertEquals(a["io.kubernetes.cri.sandbox-id"], podId);
        assertEquals(a["io.kubernetes.cri.sandbox-name"], "moat-pod");
        assertEquals(a["io.kubernetes.cri.sandbox-namespace"], "moat-e2e");
        assertEquals(a["dev.moat.e2e"], "pod");
        assertEquals(a["example.com/not-passed"], undefined);
        // the handler's binary made it: its state under the handler's Root, pid = the CRI's
        const st = await new Deno.Command(RUNTIME, {
          args: ["--root", stateDir, "state", podId],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assertEquals(st.code, 0, new TextDecoder().decode(st.stderr));
        const state = JSON.parse(new TextDecoder().decode(st.stdout));
        assertEquals(state.pid, sandboxPid);
        assertEquals(state.status, "running");
        assertEquals(state.annotations["io.kubernetes.cri.container-type"], "sandbox");
      });

      const token = `moat-${crypto.randomUUID()}`;
      let server = "", client = "";
      await t.step(
        "two containers: one serves on the pod's loopback, the other reaches it",
        async () => {
          server = await started(container("server", [
            "sh",
            "-c",
            'mkdir -p /www && echo "$TOKEN" > /www/token && exec httpd -f -p 127.0.0.1:8080 -h /www',
          ], { envs: [{ key: "TOKEN", value: token }] }));
          client = await started(container("client", ["sleep", "100002"], {
            annotations: { "dev.moat.e2e": "client", "example.com/not-passed": "x" },
          }));
          const got = await until("the server to answer", async () => {
            const r = await cri.execSync(client, ["wget", "-qO-", "http://127.0.0.1:8080/token"]);
            return r.exitCode === 0 ? r.stdout : undefined;
          });
          assertEquals(got, `${token}\n`);
          // the pod's interface from the CNI bridge plugin, seen from a container
          const ip = await cri.execSync(client, ["ip", "-o", "-4", "addr", "show", "eth0"]);
          assertStringIncludes(ip.stdout, ` ${podIp}/24 `);
          assertEquals((await cri.execSync(client, ["hostname"])).stdout, "moat-pod\n");
        },
      );

      await t.step(
        "the containers' annotations: the CRI's, the pod's and their own dev.moat.*",
        async () => {
          const { info } = await cri.containerStatus(client);
          const a = info.info.runtimeSpec.annotations;
          assertEquals(a["io.kubernetes.cri.container-type"], "container");
          assertEquals(a["io.kubernetes.cri.sandbox-id"], podId);
          assertEquals(a["io.kubernetes.cri.sandbox-name"], "moat-pod");
          assertEquals(a["io.kubernetes.cri.sandbox-namespace"], "moat-e2e");
          assertEquals(a["io.kubernetes.cri.container-name"], "client");
          // containerd copies the pod's dev.moat.* into every container; a container's own wins
          assertEquals(a["dev.moat.e2e"], "client");
          assertEquals(a["example.com/not-passed"], undefined);
          const own = (await cri.containerStatus(server)).info.info.runtimeSpec.annotations;
          assertEquals(own["io.kubernetes.cri.container-name"], "server");
          assertEquals(own["dev.moat.e2e"], "pod");
        },
      );

      await t.step({
        name: "an egress deny set on the pod applies to both containers",
        ignore: !RUNTIME.endsWith("/bin/moat"), // runc has no egress policy
        fn: async () => {
          // listeners on the pod's loopback: a made connection (0) is told from the sentry's
          // refusal of the denied port (1, "Connection refused" without reaching the listener)
          await cri.execSync(client, [
            "sh",
            "-c",
            "for p in 9097 9098 9099; do nc -l -p $p -e true </dev/null >/dev/null 2>&1 & done; sleep 0.3",
          ]);
          const probe = (port: number) =>
            `nc -w2 127.0.0.1 ${port} </dev/null >/dev/null 2>&1; echo $?`;
          const s = await cri.execSync(server, ["sh", "-c", `${probe(9098)}; ${probe(9099)}`]);
          assertEquals(s.stdout, "0\n1\n", `server: ${s.stderr}`);
          const c = await cri.execSync(client, ["sh", "-c", `${probe(9097)}; ${probe(9099)}`]);
          assertEquals(c.stdout, "0\n1\n", `client: ${c.stderr}`);
          // the denied port's listener was never reached: stop it (the ps step counts processes)
          await cri.execSync(client, ["sh", "-c", "kill $(pidof nc) 2>/dev/null; sleep 0.2; true"]);
          const st = await new Deno.Command(RUNTIME, {
            args: ["--root", stateDir, "state", client],
            stdout: "piped",
          }).output();
          const state = JSON.parse(new TextDecoder().decode(st.stdout));
          assertEquals(state.sandbox.egress.deny, ["169.254.169.254/32", "127.0.0.1/32:9099"]);
        },
      });

      await t.step("both are in the sandbox's network, pid, ipc and uts namespaces", async () => {
        for (const id of [server, client]) {
          const pid = await pidOf(id);
          for (const ns of ["net", "pid", "ipc", "uts"]) {
            assertEquals(nsOf(pid, ns), nsOf(sandboxPid, ns), `${id}: ${ns}`);
            assert(nsOf(pid, ns) !== nsOf(Deno.pid, ns), `${id}: ${ns} is the host's`);
          }
          assert(nsOf(pid, "net") !== nsOf(cd.pid, "net"), "containerd's network namespace");
          assert(nsOf(pid, "mnt") !== nsOf(sandboxPid, "mnt"), "a mount namespace of its own");
        }
      });

      await t.step(
        "each sees the other's processes and the pause, and no host process",
        async () => {
          for (const id of [server, client]) {
            const r = await cri.execSync(id, ["ps", "-o", "pid,args"]);
            assertEquals(r.exitCode, 0, r.stderr);
            const procs = parsePs(r.stdout);
            assertEquals(procs.find(([pid]) => pid === 1)?.[1], "/pause", r.stdout);
            assertEquals(
              procs.map(([, args]) => args).sort(),
              [
                "/pause",
                "httpd -f -p 127.0.0.1:8080 -h /www",
                "ps -o pid,args",
                "sleep 100002",
              ],
              r.stdout,
            );
          }
        },
      );

      await t.step("the pause is the pod's PID 1 and reaps its orphans", async () => {
        // the backgrounded sleep outlives its shell: it is re-parented to the pod's init
        const r = await cri.execSync(client, ["sh", "-c", "sleep 0.3 & exit 0"]);
        assertEquals(r.exitCode, 0, r.stderr);
        await until("the orphan to be reaped", async () => {
          const ps = await cri.execSync(client, ["ps", "-o", "pid,stat,args"]);
          const lines = ps.stdout.trim().split("\n").slice(1);
          return lines.some((l) => / Z /.test(l) || l.includes("sleep 0.3")) ? undefined : true;
        }, 10_000);
      });

      await t.step("ExecSync: exit code, stdout and stderr; a missing command", async () => {
        const r = await cri.execSync(client, ["sh", "-c", "echo out; echo err >&2; exit 7"]);
        assertEquals(r, { stdout: "out\n", stderr: "err\n", exitCode: 7 });
        const ok = await cri.execSync(server, ["cat", "/www/token"]);
        assertEquals(ok, { stdout: `${token}\n`, stderr: "", exitCode: 0 });
        await assertRejects(
          () => cri.execSync(client, ["no-such-command"]),
          `exec: "no-such-command": executable file not found in $PATH`,
        );
      });

      await t.step("a container that exits 3 reports 3 in ContainerStatus", async () => {
        const id = await started(container("exit3", ["sh", "-c", "exit 3"]));
        const s = await exited(id);
        assertEquals(s.exitCode, 3);
        assertEquals(s.reason, "Error");
        // both times are set; their order is not checked: the exit of so short a workload can be
        // reaped before the CRI stamps its start (the stamp follows the runtime's `start`)
        assert(BigInt(s.startedAt) > 0n && BigInt(s.finishedAt) > 0n, JSON.stringify(s));
      });

      await t.step("a container over its memory limit reports OOMKilled", async () => {
        const limit = 32 * 1024 * 1024;
        // the hog starts once StartContainer has returned: the shim watches the cgroup for OOM
        // events only from then on, and an earlier kill is reported as "Error" whatever the
        // runtime (containerd/containerd#8180)
        const id = await started(container("hog", [
          "sh",
          "-c",
          "while [ ! -e /tmp/go ]; do sleep 0.05; done; exec dd if=/dev/zero of=/dev/null bs=64M count=1",
        ], { linux: { resources: { memoryLimitInBytes: limit } } }));
        const cg = memoryLimitFile(`${cd.cgroupParent(uid)}/${id}`);
        assertEquals(Deno.readTextFileSync(cg).trim(), String(limit));
        assertEquals((await cri.execSync(id, ["touch", "/tmp/go"])).exitCode, 0);
        const s = await exited(id);
        assertEquals(s.reason, "OOMKilled", JSON.stringify(s));
        assertEquals(s.exitCode, 137);
      });

      await t.step("ListContainers and ListPodSandbox see the pod", async () => {
        const cs = await cri.listContainers(podId);
        assertEquals(cs.map((c) => c.id).sort(), ids.filter((id) => id !== podId).sort());
        const running = cs.filter((c) => c.state === "CONTAINER_RUNNING").map((c) => c.id);
        assertEquals(running.sort(), [server, client].sort());
        const pods = await cri.listPodSandbox();
        assertEquals(pods.map((p) => [p.id, p.state, p.runtimeHandler]), [
          [podId, "SANDBOX_READY", "moat"],
        ]);
      });

      const pids: [number, string | undefined][] = [];
      await t.step("StopPodSandbox stops every container and the network", async () => {
        for (const id of [server, client]) {
          const pid = await pidOf(id);
          pids.push([pid, startTime(pid)]);
        }
        pids.push([sandboxPid, startTime(sandboxPid)]);
        await cri.stopPodSandbox(podId);
        for (const c of await cri.listContainers(podId)) {
          assertEquals(c.state, "CONTAINER_EXITED", c.id);
        }
        assertEquals((await cri.podSandboxStatus(podId)).status.state, "SANDBOX_NOTREADY");
        assert(!listDir(`${cd.dir}/state/io.containerd.grpc.v1.cri/netns`).length, "netns file");
      });

      await t.step(
        "RemovePodSandbox leaves no process, mount, cgroup, netns or state",
        async () => {
          await cri.removePodSandbox(podId);
          assertEquals(await cri.listPodSandbox(), []);
          assertEquals(await cri.listContainers(), []);
          // processes: the pod's, the shims, anything of the runtime naming a container
          await until("the pod's processes to go", () => {
            const alive = pids.filter(([pid, start]) => start && startTime(pid) === start);
            const named = processesNaming(ids);
            return alive.length || named.length ? undefined : true;
          }, 10_000).catch((e) => {
            throw new Error(`${e}: ${JSON.stringify(processesNaming(ids))}`);
          });
          // shims, runtime processes (moat's sentries) all live in containerd's mount namespace
          await until("containerd's mount namespace to hold containerd alone", () => {
            const others = processesIn(nsOf(cd.pid, "mnt")).filter((p) => p !== cd.pid);
            return others.length ? undefined : true;
          }, 10_000).catch((e) => {
            const left = processesIn(nsOf(cd.pid, "mnt")).filter((p) => p !== cd.pid);
            throw new Error(`${e}: ${left.map(cmdline).join("; ")}`);
          });
          // mounts, in containerd's own mount namespace and the host's
          const netns = netnsPath.split("/").pop()!;
          for (
            const [where, info] of [["containerd", cd.mountinfo()], [
              "host",
              Deno.readTextFileSync("/proc/self/mountinfo"),
            ]]
          ) {
            const left = info.split("\n").filter((l) =>
              ids.some((id) => l.includes(id)) || l.includes(netns)
            );
            assertEquals(left, [], `mounts left in ${where}'s mount namespace`);
          }
          // cgroups: no container's cgroup in any hierarchy; the pod's parent is empty
          for (const root of cgroupRoots()) {
            for (const id of ids) {
              const cg = `${root}${cd.cgroupParent(uid)}/${id}`;
              assert(!listDir(cg).length, `cgroup left: ${cg}`);
            }
          }
          assertEquals(cd.removeCgroups(), []);
          // network: the netns file, the veth in containerd's namespace, the IPAM lease
          assert(!listDir(`${cd.dir}/state/io.containerd.grpc.v1.cri/netns`).includes(netns));
          const linkOut = new TextDecoder().decode(
            (await new Deno.Command("nsenter", {
              args: [`--net=/proc/${cd.pid}/ns/net`, "ip", "-o", "link"],
              stdout: "piped",
            }).output()).stdout,
          );
          assert(!/veth/.test(linkOut), `a veth is left: ${linkOut}`);
          assert(
            !listDir(`${cd.ipamDir}/moat-cri`).includes(podIp),
            "the pod's IP is still leased",
          );
          // state: the runtime's, the shims' bundles, the CRI's
          const left = [
            ...listDir(stateDir),
            ...listDir(`${cd.dir}/state/io.containerd.runtime.v2.task/k8s.io`),
            ...listDir(`${cd.dir}/root/io.containerd.grpc.v1.cri/sandboxes`),
            ...listDir(`${cd.dir}/root/io.containerd.grpc.v1.cri/containers`),
            ...listDir(`${cd.dir}/state/io.containerd.grpc.v1.cri/sandboxes`),
            ...listDir(`${cd.dir}/state/io.containerd.grpc.v1.cri/containers`),
          ].filter((n) => ids.includes(n));
          assertEquals(left, []);
        },
      );
    } finally {
      await cd.stop();
      cd.removeCgroups();
    }
  },
});
