// Private podman and containerd instances for end-to-end tests: their own config, storage, state
// and sockets (under tests/.work; sockets and runtime state under a short run dir, run_dir.ts), so
// nothing else on the machine is touched, with bin/moat as the OCI runtime.
import { MOAT, WORK } from "./bundle.ts";
import { removeRunDir, runDir } from "./run_dir.ts";
import { busyboxImage, IMAGE } from "./image.ts";

export function have(cmd: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

export interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

async function capture(cmd: string, args: string[], env: Record<string, string>): Promise<Out> {
  const r = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
}

/** Hard limits of this host (no CAP_SYS_RESOURCE): podman's default ulimits must fit them. */
function hardLimit(flag: string): string {
  const r = new Deno.Command("sh", { args: ["-c", `ulimit -H${flag}`], stdout: "piped" })
    .outputSync();
  return new TextDecoder().decode(r.stdout).trim();
}

export class Podman {
  readonly dir = `${WORK}/podman`;
  readonly env: Record<string, string>;

  constructor() {
    Deno.mkdirSync(`${this.dir}/tmp`, { recursive: true });
    Deno.writeTextFileSync(
      `${this.dir}/storage.conf`,
      `[storage]\ndriver = "overlay"\ngraphroot = "${this.dir}/graph"\nrunroot = "${this.dir}/run"\n`,
    );
    const nproc = Math.min(Number(hardLimit("u")) || 32768, 32768);
    Deno.writeTextFileSync(
      `${this.dir}/containers.conf`,
      [
        "[containers]",
        `default_ulimits = ["nofile=${hardLimit("n")}:${
          hardLimit("n")
        }", "nproc=${nproc}:${nproc}"]`,
        "[engine]",
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `events_logfile_path = "${this.dir}/events.log"`,
        `tmp_dir = "${this.dir}/tmp"`,
        // podman passes --log/--log-format=json (and parses the JSON error) only for these names
        'runtime_supports_json = ["moat", "runc", "crun"]',
        "",
      ].join("\n"),
    );
    this.env = {
      CONTAINERS_CONF: `${this.dir}/containers.conf`,
      CONTAINERS_STORAGE_CONF: `${this.dir}/storage.conf`,
    };
  }

  async setup(): Promise<void> {
    const has = await this.podman(["image", "exists", IMAGE], false);
    if (has.code !== 0) {
      const r = await this.podman(["load", "-i", await busyboxImage()], false);
      if (r.code !== 0) throw new Error(`podman load: ${r.stderr}`);
    }
  }

  podman(args: string[], withRuntime = true): Promise<Out> {
    return capture("podman", withRuntime ? ["--runtime", MOAT, ...args] : args, this.env);
  }

  /** `podman run -d` of a shell script on the test image (no network); its container id. */
  async detached(script: string): Promise<string> {
    const d = await this.podman(["run", "-d", "--network", "none", IMAGE, "sh", "-c", script]);
    if (d.code !== 0) throw new Error(`podman run -d: ${d.stderr}`);
    return d.stdout.trim();
  }

  /** A command line for `script`, which gives podman a real terminal. */
  shellLine(args: string[]): string {
    const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    const env = Object.entries(this.env).map(([k, v]) => `${k}=${q(v)}`).join(" ");
    return `env ${env} podman --runtime ${q(MOAT)} ${args.map(q).join(" ")}`;
  }
}

export class Containerd {
  readonly dir = `${WORK}/containerd`;
  /** Sockets, containerd's state and the shims' runtime root: short paths (run_dir.ts). */
  readonly run = runDir("containerd");
  readonly sock = `${this.run}/containerd.sock`;
  #daemon?: Deno.ChildProcess;

  async start(): Promise<void> {
    Deno.mkdirSync(`${this.dir}/rtbin`, { recursive: true });
    // `ctr container create` has no --runc-binary: the shim finds the runtime as `runc` on PATH.
    try {
      Deno.removeSync(`${this.dir}/rtbin/runc`);
    } catch { /* first run */ }
    Deno.symlinkSync(MOAT, `${this.dir}/rtbin/runc`);
    Deno.writeTextFileSync(
      `${this.dir}/config.toml`,
      [
        "version = 2",
        `root = "${this.dir}/root"`,
        `state = "${this.run}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        "[grpc]",
        `  address = "${this.sock}"`,
        "[ttrpc]",
        `  address = "${this.sock}.ttrpc"`,
        "[debug]",
        `  address = "${this.run}/debug.sock"`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${this.dir}/opt"`,
        "",
      ].join("\n"),
    );
    const path = `${this.dir}/rtbin:${Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`;
    this.#daemon = new Deno.Command("containerd", {
      args: ["--config", `${this.dir}/config.toml`],
      env: { PATH: path },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const end = Date.now() + 20_000;
    while ((await this.ctr(["version"])).code !== 0) {
      if (Date.now() > end) throw new Error("containerd did not come up");
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await this.ctr([
      "images",
      "import",
      "--snapshotter",
      "overlayfs",
      await busyboxImage(),
    ]);
    if (r.code !== 0) throw new Error(`ctr images import: ${r.stderr}`);
  }

  ctr(args: string[]): Promise<Out> {
    return capture("ctr", ["-a", this.sock, "-n", "moat-e2e", ...args], {});
  }

  runArgs(): string[] {
    return [
      "--runc-binary",
      MOAT,
      "--runc-root",
      `${this.run}/runc-root`,
      "--fifo-dir",
      `${this.dir}/fifo`,
    ];
  }

  async stop(): Promise<void> {
    const tasks = await this.ctr(["task", "ls", "-q"]);
    for (const t of tasks.stdout.split("\n").filter(Boolean)) {
      await this.ctr(["task", "kill", "-s", "SIGKILL", t]);
      await this.ctr(["task", "delete", "-f", t]);
    }
    const cs = await this.ctr(["containers", "ls", "-q"]);
    for (const c of cs.stdout.split("\n").filter(Boolean)) {
      await this.ctr(["containers", "delete", c]);
    }
    if (this.#daemon) {
      this.#daemon.kill("SIGTERM");
      await this.#daemon.status;
    }
    removeRunDir("containerd");
  }
}
