// A private Docker 20.10 (Debian's docker.io) for the end-to-end tests, with bin/moat registered
// in daemon.json as the runtime "moat" and made the default runtime.
//
// /usr/bin/docker and /usr/sbin/dockerd are called by full path: another `docker` earlier on PATH
// (e.g. /usr/local/bin) may be an unrelated client.
//
// Nothing of the host is used or left behind:
// - dockerd's exec-root, pidfile and socket and its containerd's state and sockets live in
//   /run/moat-e2e-<hash of the checkout path>/docker (run_dir.ts: short whatever the checkout's
//   depth, unix socket paths hold 108 bytes); data-root, containerd's root, configs and logs in
//   tests/.work/docker;
// - the exec-root (/run/moat-e2e-XXXXXXXX/docker/exec, 34 characters) has Docker's default
//   layout, so moat's state directories are `<exec-root>/runtime-runc/moby/<64-hex id>` (117
//   bytes before a file name; Docker's default /var/run/docker gives 98);
// - dockerd and its containerd run in a private mount namespace with a tmpfs on /run (dockerd
//   hard-codes /run/docker/plugins, containerd 1.6 /run/containerd/s); the run directory is
//   bound back in, so the socket and moat's state stay visible to the tests. Rootfs, netns and
//   shm mounts vanish with the namespace;
// - no bridge, no iptables rules, no IP forwarding; cgroups under /moat-e2e-XXXXXXXX (cgroupfs
//   driver), removed at stop; daemon.json's deprecated-key-path keeps /etc/docker untouched.
import { MOAT, WORK } from "./bundle.ts";
import { busyboxImage } from "./image.ts";
import { capture, type Out } from "./bounded.ts";
import { removeRunDir, RUN_DIR, runDir } from "./run_dir.ts";

export { capture };

export const DOCKER = "/usr/bin/docker";
export const DOCKERD = "/usr/sbin/dockerd";

export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function onPath(cmd: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
    .outputSync().success;
}

/** Why Docker cannot run here at all, or undefined when it can. */
export function dockerUnavailable(): string | undefined {
  if (Deno.uid() !== 0) return "not root";
  for (const p of [DOCKER, DOCKERD]) {
    if (!exists(p)) return `${p} is missing (Debian package docker.io; install.sh installs it)`;
  }
  for (const c of ["containerd", "containerd-shim-runc-v2", "unshare"]) {
    if (!onPath(c)) return `${c} is not on PATH`;
  }
  return undefined;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (const c of new TextEncoder().encode(s)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** The cgroup hierarchies' roots: /sys/fs/cgroup itself when it is cgroup2, else each mount. */
function cgroupRoots(): string[] {
  if (exists("/sys/fs/cgroup/cgroup.controllers")) return ["/sys/fs/cgroup"];
  return [...Deno.readDirSync("/sys/fs/cgroup")].filter((e) => e.isDirectory).map((e) =>
    `/sys/fs/cgroup/${e.name}`
  );
}

/** Pids of the processes whose command line mentions `text`. */
export function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmdline.includes(text)) found.push(Number(e.name));
    } catch { /* gone */ }
  }
  return found;
}

function alive(pid: number): boolean {
  return exists(`/proc/${pid}`) &&
    !/^State:\s+Z/m.test(
      (() => {
        try {
          return Deno.readTextFileSync(`/proc/${pid}/status`);
        } catch {
          return "State:\tZ";
        }
      })(),
    );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Short, and different for every checkout on this machine: names of /run dirs and cgroups. */
export const CHECKOUT_TAG = fnv1a(WORK);

export class Docker {
  /** Work files: configs, logs, data-root, containerd's root. */
  readonly dir = `${WORK}/docker`;
  /** Short, under /run (run_dir.ts): sockets, pidfiles, exec-root, containerd's state. */
  readonly run = `${RUN_DIR}/docker`;
  readonly execRoot = `${this.run}/exec`;
  /** Where moat keeps a container's state: Docker's default layout below the exec-root. */
  readonly stateRoot = `${this.execRoot}/runtime-runc/moby`;
  readonly sock = `${this.run}/docker.sock`;
  readonly cgroupParent = `/moat-e2e-${CHECKOUT_TAG}`;
  readonly env: Record<string, string>;
  #daemon?: Deno.ChildProcess;

  constructor() {
    this.env = {
      DOCKER_HOST: `unix://${this.sock}`,
      DOCKER_CONFIG: `${this.dir}/client`,
      PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    };
  }

  /** The docker client against this daemon, bounded by `timeoutMs`. */
  docker(args: string[], timeoutMs = 120_000): Promise<Out> {
    return capture(DOCKER, args, this.env, timeoutMs);
  }

  /** A shell command line for `docker args…` (run under `script` to give it a terminal). */
  shellLine(args: string[]): string {
    const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    const env = Object.entries(this.env).map(([k, v]) => `${k}=${q(v)}`).join(" ");
    return `env ${env} ${DOCKER} ${args.map(q).join(" ")}`;
  }

  log(): string {
    return ["launch.log", "dockerd.log", "containerd.log"].map((f) => {
      try {
        return `${f}: ${Deno.readTextFileSync(`${this.dir}/${f}`).slice(-2000)}`;
      } catch {
        return `${f}: none`;
      }
    }).join("\n");
  }

  async start(): Promise<void> {
    this.#killLeftovers();
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch { /* first run */ }
    removeRunDir("docker");
    for (const d of ["data", "client", "containerd/root", "containerd/opt", "runbind"]) {
      Deno.mkdirSync(`${this.dir}/${d}`, { recursive: true });
    }
    runDir("docker");
    Deno.writeTextFileSync(
      `${this.dir}/daemon.json`,
      JSON.stringify(
        {
          runtimes: { moat: { path: MOAT } },
          "default-runtime": "moat",
          "deprecated-key-path": `${this.dir}/key.json`,
        },
        null,
        2,
      ),
    );
    Deno.writeTextFileSync(
      `${this.dir}/containerd.toml`,
      [
        "version = 2",
        `root = "${this.dir}/containerd/root"`,
        `state = "${this.run}/containerd"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        "[grpc]",
        `  address = "${this.run}/containerd.sock"`,
        "[ttrpc]",
        `  address = "${this.run}/containerd.sock.ttrpc"`,
        "[debug]",
        `  address = "${this.run}/containerd-debug.sock"`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${this.dir}/containerd/opt"`,
        "",
      ].join("\n"),
    );
    const dockerd = [
      DOCKERD,
      "--config-file",
      `${this.dir}/daemon.json`,
      "--data-root",
      `${this.dir}/data`,
      "--exec-root",
      this.execRoot,
      "--pidfile",
      `${this.run}/dockerd.pid`,
      "-H",
      `unix://${this.sock}`,
      "--containerd",
      `${this.run}/containerd.sock`,
      "--iptables=false",
      "--ip-masq=false",
      "--ip-forward=false",
      "--bridge=none",
      "--userland-proxy=false",
      "--storage-driver",
      "overlay2",
      "--exec-opt",
      "native.cgroupdriver=cgroupfs",
      "--cgroup-parent",
      this.cgroupParent,
    ];
    // In the new mount namespace: keep /run/moat-e2e-X (bound aside first), cover /run with a
    // tmpfs, put /run/moat-e2e-X back; then containerd, then dockerd in this shell's place.
    const script = [
      "set -e",
      'run="$1"; aside="$2"; dir="$3"; shift 3',
      'exec 2>"$dir/launch.log"',
      'mount --bind "$run" "$aside"',
      "mount -t tmpfs -o mode=0755,size=64m moat-e2e-run /run",
      'mkdir -p "$run"',
      'mount --move "$aside" "$run"',
      'containerd --config "$dir/containerd.toml" >"$dir/containerd.log" 2>&1 &',
      'echo $! >"$run/containerd.pid"',
      'i=0; while [ ! -S "$run/containerd.sock" ]; do',
      "  i=$((i+1)); [ $i -lt 600 ] || { echo containerd did not come up >&2; exit 1; }",
      "  sleep 0.1",
      "done",
      'exec "$@" >"$dir/dockerd.log" 2>&1',
    ].join("\n");
    this.#daemon = new Deno.Command("unshare", {
      args: [
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        script,
        "sh",
        this.run,
        `${this.dir}/runbind`,
        this.dir,
        ...dockerd,
      ],
      env: this.env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await this.#ready();
      const load = await this.docker(["load", "-i", await busyboxImage()]);
      if (load.code !== 0) throw new Error(`docker load: ${load.stderr}`);
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async #ready(): Promise<void> {
    const end = Date.now() + 60_000;
    let status: Deno.CommandStatus | undefined;
    this.#daemon!.status.then((s) => status = s);
    for (;;) {
      if (status) {
        throw new Error(`dockerd exited (${status.code}) during start-up:\n${this.log()}`);
      }
      const v = await this.docker(["version", "--format", "{{.Server.Version}}"], 20_000);
      if (v.code === 0) return;
      if (Date.now() > end) throw new Error(`dockerd did not come up: ${v.stderr}\n${this.log()}`);
      await sleep(200);
    }
  }

  /** A previous run that died: its daemons (found by this checkout's run directory). */
  #killLeftovers(): void {
    for (const pid of [...processesMentioning(this.run), ...processesMentioning(`${this.dir}/`)]) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
  }

  /** The 64-hex container ids this daemon has, running or not. */
  async containers(): Promise<string[]> {
    const ps = await this.docker(["ps", "-aq", "--no-trunc"]);
    return ps.stdout.split("\n").filter(Boolean);
  }

  async stop(): Promise<void> {
    if (this.#daemon) {
      const left = await this.containers().catch(() => []);
      if (left.length) await this.docker(["rm", "-f", ...left]).catch(() => {});
      try {
        this.#daemon.kill("SIGTERM");
      } catch { /* exited */ }
      await this.#daemon.status;
      this.#daemon = undefined;
    }
    let containerd = 0;
    try {
      containerd = Number(Deno.readTextFileSync(`${this.run}/containerd.pid`).trim());
    } catch { /* never started */ }
    if (containerd > 0 && alive(containerd)) {
      Deno.kill(containerd, "SIGTERM");
      const end = Date.now() + 20_000;
      while (alive(containerd) && Date.now() < end) await sleep(100);
      if (alive(containerd)) Deno.kill(containerd, "SIGKILL");
    }
    // shims exit once their container is deleted; give them a moment, then nothing may remain
    const end = Date.now() + 20_000;
    while (processesMentioning(this.run).length && Date.now() < end) await sleep(100);
    this.#killLeftovers();
    removeRunDir("docker");
    for (const root of cgroupRoots()) {
      const dir = `${root}${this.cgroupParent}`;
      if (!exists(dir)) continue;
      for (const e of Deno.readDirSync(dir)) {
        if (e.isDirectory) {
          try {
            Deno.removeSync(`${dir}/${e.name}`);
          } catch { /* busy: the leftover check reports it */ }
        }
      }
      try {
        Deno.removeSync(dir);
      } catch { /* busy */ }
    }
  }

  /** What this instance left on the host (empty after stop). */
  leftovers(): string[] {
    const left: string[] = [];
    for (const pid of processesMentioning(this.run)) {
      left.push(`process ${pid}: ${Deno.readTextFileSync(`/proc/${pid}/cmdline`)}`);
    }
    for (const pid of processesMentioning(`${this.dir}/`)) {
      left.push(`process ${pid}: ${Deno.readTextFileSync(`/proc/${pid}/cmdline`)}`);
    }
    if (exists(this.run)) left.push(this.run);
    for (const root of cgroupRoots()) {
      if (exists(`${root}${this.cgroupParent}`)) left.push(`${root}${this.cgroupParent}`);
    }
    for (const l of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
      if (l.includes(this.run) || l.includes(this.dir)) left.push(`mount: ${l}`);
    }
    return left;
  }
}
