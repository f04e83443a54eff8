// A private containerd 1.6 with its CRI plugin, for the Kubernetes tests: the tests play the
// kubelet over the CRI socket (cri_client.ts) and the runtime handler "moat" runs the runc v2
// shim with a BinaryName of the test's choice (bin/moat, or runc to check the harness itself).
//
// Nothing of the host is used or left behind:
// - config, root, state, CNI configuration, IPAM data, pod logs and the runtime's --root are
//   under tests/.work/cri; the sockets in a short directory of their own under /run (unix socket
//   paths hold 108 bytes, the checkout may be deep);
// - containerd runs in a mount namespace of its own (a slave of the host's: host mounts reach it,
//   its mounts never reach the host), so rootfs, /dev/shm and netns mounts vanish with it even
//   if a test dies, and in a network namespace of its own, where the CNI bridge and the pods'
//   veths live and the CRI streaming server listens;
// - paths containerd 1.6 hard-codes get a tmpfs in that mount namespace: /run/containerd (the
//   shims' sockets, /run/containerd/s) and /var/lib/cni (libcni's result cache; containerd has
//   no setting for it). A missing mountpoint is created and removed again at stop;
// - netns_mounts_under_state_dir keeps the pods' netns files out of /var/run/netns; CNI
//   binaries are Debian's (/usr/lib/cni), the configuration ours, so /etc/cni and /opt/cni are
//   not read; AppArmor and SELinux are off, so no profile is loaded into the kernel.
import { WORK } from "./bundle.ts";
import { buildStatic } from "./cbuild.ts";
import { CriClient } from "./cri_client.ts";
import { busyboxImage, dockerArchive, IMAGE } from "./image.ts";

export const PAUSE_IMAGE = "localhost/moat-pause:1";
export const BUSYBOX_IMAGE = IMAGE;
/** The namespace the CRI plugin keeps its containers and images in. */
const K8S_NS = "k8s.io";
/**
 * The pods' network: Debian's bridge and host-local plugins, the bridge inside containerd's own
 * network namespace (so the host's network is untouched). A loopback-only network is not enough
 * for containerd 1.6: a pod whose CNI result has no eth0 fails with "failed to find network info
 * for sandbox".
 */
export const POD_SUBNET = "10.213.0.0/24";
const HARD_CODED = ["/run/containerd", "/var/lib/cni"];

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (const c of new TextEncoder().encode(s)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  const d = new TextDecoder();
  return { code: r.code, out: d.decode(r.stdout) + d.decode(r.stderr) };
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process's mount table has a mount at `path` (another private instance's tmpfs). */
function mountedAnywhere(path: string): boolean {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const info = Deno.readTextFileSync(`/proc/${e.name}/mountinfo`);
      if (info.split("\n").some((l) => l.split(" ")[4] === path)) return true;
    } catch { /* gone */ }
  }
  return false;
}

/** The cgroup hierarchies' roots: /sys/fs/cgroup itself when it is cgroup2, else each mount. */
export function cgroupRoots(): string[] {
  if (exists("/sys/fs/cgroup/cgroup.controllers")) return ["/sys/fs/cgroup"];
  return [...Deno.readDirSync("/sys/fs/cgroup")].filter((e) => e.isDirectory).map((e) =>
    `/sys/fs/cgroup/${e.name}`
  );
}

/** A cgroup's memory limit file: v1's memory controller, or cgroup2's memory.max. */
export function memoryLimitFile(cgroup: string): string {
  return exists("/sys/fs/cgroup/memory")
    ? `/sys/fs/cgroup/memory${cgroup}/memory.limit_in_bytes`
    : `/sys/fs/cgroup${cgroup}/memory.max`;
}

export class CriContainerd {
  readonly dir = `${WORK}/cri`;
  /** Short and independent of the checkout's depth: the sockets live here. */
  readonly sockets = `/run/moat-cri-${fnv1a(WORK)}`;
  readonly sock = `${this.sockets}/containerd.sock`;
  /** The handler's runc v2 option Root: the OCI runtime's --root is `${runtimeRoot}/k8s.io`. */
  readonly runtimeRoot = `${this.dir}/runtime-root`;
  readonly logDir = `${this.dir}/pods`;
  readonly ipamDir = `${this.dir}/ipam`;
  /** A cgroup of this test process's own; pods get cgroup parents below it. */
  readonly cgroupBase = `/moat-cri-${Deno.pid}`;
  #daemon?: Deno.ChildProcess;
  #created: string[] = [];
  #client?: CriClient;

  /** `binary` is the BinaryName of the runtime handler "moat". */
  constructor(readonly binary: string) {}

  get pid(): number {
    if (!this.#daemon) throw new Error("containerd is not running");
    return this.#daemon.pid;
  }

  get cri(): CriClient {
    if (!this.#client) throw new Error("containerd is not running");
    return this.#client;
  }

  /** containerd's mount table: every mount it, its shims and the runtime made are here. */
  mountinfo(): string {
    return Deno.readTextFileSync(`/proc/${this.pid}/mountinfo`);
  }

  async start(): Promise<void> {
    for (const d of ["root", "state", "cni", "ipam", "pods", "runtime-root", "opt"]) {
      // every run starts empty: the CRI plugin would otherwise recover a crashed run's pods
      try {
        Deno.removeSync(`${this.dir}/${d}`, { recursive: true });
      } catch { /* first run */ }
    }
    for (const d of ["cni", "ipam", "pods", "runtime-root"]) {
      Deno.mkdirSync(`${this.dir}/${d}`, { recursive: true });
    }
    Deno.mkdirSync(this.sockets, { recursive: true, mode: 0o700 });
    for (const p of HARD_CODED) {
      if (!exists(p)) {
        Deno.mkdirSync(p, { mode: 0o700 });
        this.#created.push(p);
      }
    }
    this.#writeCni();
    Deno.writeTextFileSync(`${this.dir}/config.toml`, this.#config());
    const script = [
      "set -e",
      'log="$1"; cfg="$2"; shift 2',
      // the CRI streaming server listens on 127.0.0.1 of this network namespace
      "ip link set lo up",
      'for d in "$@"; do mount -t tmpfs -o mode=0700,size=16m moat-cri "$d"; done',
      'exec containerd --config "$cfg" >"$log" 2>&1',
    ].join("\n");
    this.#daemon = new Deno.Command("unshare", {
      args: [
        "--mount",
        "--net",
        "--propagation",
        "slave",
        "--",
        "sh",
        "-c",
        script,
        "sh",
        `${this.dir}/containerd.log`,
        `${this.dir}/config.toml`,
        ...HARD_CODED,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await this.#ready();
      await this.#importImages();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async #ready(): Promise<void> {
    const end = Date.now() + 30_000;
    for (;;) {
      const client = new CriClient(this.sock, 5_000);
      try {
        await client.version();
        client.close();
        this.#client = new CriClient(this.sock);
        return;
      } catch (e) {
        client.close();
        const log = this.log();
        const failed = log.match(/failed to load plugin io.containerd.grpc.v1.cri.*/)?.[0];
        if (failed) throw new Error(`containerd's CRI plugin: ${failed}`);
        if (Date.now() > end) {
          throw new Error(`containerd's CRI did not come up: ${e}\n${log.slice(-2000)}`);
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async #importImages(): Promise<void> {
    const pauseRoot = `${WORK}/pause-rootfs`;
    Deno.mkdirSync(pauseRoot, { recursive: true });
    Deno.copyFileSync(buildStatic("pause"), `${pauseRoot}/pause`);
    Deno.chmodSync(`${pauseRoot}/pause`, 0o755);
    // rebuilt every time (24 KiB): an archive of an older pause.c must not be reused
    const pauseTar = `${WORK}/pause-docker.tar`;
    try {
      Deno.removeSync(pauseTar);
    } catch { /* first run */ }
    const pause = await dockerArchive(pauseTar, pauseRoot, PAUSE_IMAGE, ["/pause"]);
    for (const [image, tar] of [[PAUSE_IMAGE, pause], [BUSYBOX_IMAGE, await busyboxImage()]]) {
      const r = await this.ctr(["images", "import", "--snapshotter", "overlayfs", tar]);
      if (r.code !== 0) throw new Error(`ctr images import ${tar}: ${r.out}`);
      // the CRI plugin learns of imported images from containerd's events, asynchronously
      const end = Date.now() + 20_000;
      while (!(await this.cri.imageStatus(image))) {
        if (Date.now() > end) throw new Error(`the CRI plugin never saw ${image}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  ctr(args: string[]): Promise<{ code: number; out: string }> {
    return run("ctr", ["-a", this.sock, "-n", K8S_NS, ...args]);
  }

  log(): string {
    try {
      return Deno.readTextFileSync(`${this.dir}/containerd.log`);
    } catch {
      return "";
    }
  }

  /** A pod's cgroup parent (cgroupfs syntax, as the kubelet passes it). */
  cgroupParent(podUid: string): string {
    return `${this.cgroupBase}/pod${podUid}`;
  }

  /**
   * Removes this run's pod cgroup parents in every hierarchy (the kubelet's job) and returns
   * what was not empty: a cgroup a container left below its pod's parent. Those are removed
   * afterwards too (when no process is in them), so a failed test leaves nothing.
   */
  removeCgroups(): string[] {
    const left: string[] = [];
    const rmdir = (dir: string): boolean => {
      try {
        Deno.removeSync(dir);
        return true;
      } catch {
        return false;
      }
    };
    const deep = (dir: string) => {
      for (const e of Deno.readDirSync(dir)) if (e.isDirectory) deep(`${dir}/${e.name}`);
      rmdir(dir);
    };
    for (const root of cgroupRoots()) {
      const base = `${root}${this.cgroupBase}`;
      if (!exists(base)) continue;
      for (const pod of Deno.readDirSync(base)) {
        if (!pod.isDirectory) continue;
        const dir = `${base}/${pod.name}`;
        if (!rmdir(dir)) {
          left.push(
            ...[...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) =>
              `${dir}/${e.name}`
            ),
          );
          deep(dir);
        }
      }
      if (!rmdir(base)) left.push(base);
    }
    return left;
  }

  async stop(): Promise<void> {
    if (this.#client) {
      // what a failed test left: removing a pod stops and removes its containers too
      try {
        for (const p of await this.cri.listPodSandbox()) {
          await this.cri.stopPodSandbox(p.id).catch(() => {});
          await this.cri.removePodSandbox(p.id).catch(() => {});
        }
      } catch { /* containerd is gone already */ }
      this.#client.close();
      this.#client = undefined;
    }
    if (this.#daemon) {
      try {
        this.#daemon.kill("SIGTERM");
      } catch { /* exited */ }
      await this.#daemon.status;
      this.#daemon = undefined;
    }
    for (const p of this.#created.reverse()) {
      // the tmpfs was in containerd's namespace only; another instance may have mounted its own
      if (!mountedAnywhere(p)) {
        try {
          Deno.removeSync(p);
        } catch { /* someone else uses it now */ }
      }
    }
    this.#created = [];
    try {
      Deno.removeSync(this.sockets, { recursive: true });
    } catch { /* gone */ }
  }

  #writeCni(): void {
    const conf = {
      cniVersion: "1.0.0",
      name: "moat-cri",
      plugins: [{
        type: "bridge",
        bridge: "moatcri0",
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: "host-local",
          dataDir: this.ipamDir,
          ranges: [[{ subnet: POD_SUBNET }]],
        },
      }],
    };
    Deno.writeTextFileSync(`${this.dir}/cni/10-moat-cri.conflist`, JSON.stringify(conf, null, 2));
  }

  #config(): string {
    const cri = '[plugins."io.containerd.grpc.v1.cri"';
    return [
      "version = 2",
      `root = "${this.dir}/root"`,
      `state = "${this.dir}/state"`,
      "[grpc]",
      `  address = "${this.sock}"`,
      "[ttrpc]",
      `  address = "${this.sock}.ttrpc"`,
      "[debug]",
      `  address = "${this.sockets}/debug.sock"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${this.dir}/opt"`,
      `${cri}]`,
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      "  netns_mounts_under_state_dir = true",
      // no CAP_SYS_RESOURCE here: the sandbox's default oom_score_adj (-998) cannot be set
      "  restrict_oom_score_adj = true",
      "  disable_apparmor = true",
      "  enable_selinux = false",
      '  stream_server_address = "127.0.0.1"',
      `${cri}.cni]`,
      '  bin_dir = "/usr/lib/cni"',
      `  conf_dir = "${this.dir}/cni"`,
      `${cri}.containerd]`,
      '  snapshotter = "overlayfs"',
      // the only handler: a pod that names none gets it too (runc is not configured at all)
      '  default_runtime_name = "moat"',
      `${cri}.containerd.runtimes.moat]`,
      '  runtime_type = "io.containerd.runc.v2"',
      '  pod_annotations = ["dev.moat.*"]',
      '  container_annotations = ["dev.moat.*"]',
      `${cri}.containerd.runtimes.moat.options]`,
      `  BinaryName = "${this.binary}"`,
      `  Root = "${this.runtimeRoot}"`,
      "",
    ].join("\n");
  }
}
