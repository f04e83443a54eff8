// A small CRI v1 client for the tests: the project's own .proto subset of runtime.v1
// (cri_api.proto), loaded with @grpc/proto-loader and called with @grpc/grpc-js over the CRI
// unix socket. No kubelet or crictl is packaged on these machines, so the tests play the kubelet.
//
// The two npm packages are installed by install.sh into tests/npm (npm ci from its committed
// package-lock.json): no npm state at the project root, nothing fetched while the tests run.
import { createRequire } from "node:module";

const NPM_DIR = new URL("../npm/", import.meta.url).pathname;
const PROTO = new URL("./cri_api.proto", import.meta.url).pathname;

/** Messages as proto-loader hands them over: camelCase fields, int64 as strings, enums by name. */
export type Labels = Record<string, string>;

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  hostname?: string;
  logDirectory?: string;
  labels?: Labels;
  annotations?: Labels;
  linux?: {
    cgroupParent?: string;
    securityContext?: { namespaceOptions?: NamespaceOption; privileged?: boolean };
  };
}

export type NamespaceMode = "POD" | "CONTAINER" | "NODE" | "TARGET";

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  envs?: { key: string; value: string }[];
  mounts?: Mount[];
  labels?: Labels;
  annotations?: Labels;
  logPath?: string;
  linux?: {
    resources?: { memoryLimitInBytes?: string | number; memorySwapLimitInBytes?: string | number };
    securityContext?: { namespaceOptions?: NamespaceOption };
  };
}

export type ContainerState =
  | "CONTAINER_CREATED"
  | "CONTAINER_RUNNING"
  | "CONTAINER_EXITED"
  | "CONTAINER_UNKNOWN";

export interface ContainerStatus {
  id: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  reason: string;
  message: string;
  annotations: Labels;
}

export interface PodSandboxStatus {
  id: string;
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  network: { ip: string } | null;
  annotations: Labels;
  runtimeHandler: string;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: { name: string; attempt: number };
  state: ContainerState;
}

export interface PodSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string };
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  runtimeHandler: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

// deno-lint-ignore no-explicit-any
type Any = any;
type Callback = (err: Error | null, res: Any) => void;
type Unary = (req: unknown, opts: { deadline: Date }, cb: Callback) => void;

const require = createRequire(NPM_DIR);
let loaded: { grpc: Any; pkg: Any } | undefined;

function load(): { grpc: Any; pkg: Any } {
  if (loaded) return loaded;
  let grpc: Any, protoLoader: Any;
  try {
    grpc = require("@grpc/grpc-js");
    protoLoader = require("@grpc/proto-loader");
  } catch (e) {
    throw new Error(
      `the CRI client's npm packages are missing in ${NPM_DIR}: run install.sh (${e})`,
    );
  }
  const def = protoLoader.loadSync(PROTO, { longs: String, enums: String, defaults: true });
  loaded = { grpc, pkg: grpc.loadPackageDefinition(def).runtime.v1 };
  return loaded;
}

/** The CRI's RuntimeService and ImageService on one unix socket; every call has a deadline. */
export class CriClient {
  #runtime: Any;
  #images: Any;

  constructor(socket: string, readonly timeoutMs = 60_000) {
    const { grpc, pkg } = load();
    const creds = grpc.credentials.createInsecure();
    this.#runtime = new pkg.RuntimeService(`unix://${socket}`, creds);
    this.#images = new pkg.ImageService(`unix://${socket}`, creds);
  }

  #call<T>(service: Any, method: string, req: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise((resolve, reject) => {
      const fn = service[method] as Unary;
      fn.call(service, req, { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => {
        if (err) reject(new Error(`CRI ${method}: ${err.message}`));
        else resolve(res as T);
      });
    });
  }

  close(): void {
    this.#runtime.close();
    this.#images.close();
  }

  version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    return this.#call(this.#runtime, "Version", { version: "v1" });
  }

  async imageStatus(image: string): Promise<{ id: string; repoTags: string[] } | null> {
    const r = await this.#call<Any>(this.#images, "ImageStatus", { image: { image } });
    return r.image ?? null;
  }

  async listImages(): Promise<{ id: string; repoTags: string[] }[]> {
    return (await this.#call<Any>(this.#images, "ListImages", {})).images;
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler: string): Promise<string> {
    const r = await this.#call<Any>(this.#runtime, "RunPodSandbox", { config, runtimeHandler });
    return r.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.#call(this.#runtime, "StopPodSandbox", { podSandboxId });
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.#call(this.#runtime, "RemovePodSandbox", { podSandboxId });
  }

  /** The status and, verbose, the runtime's "info" map (JSON strings) of a sandbox. */
  async podSandboxStatus(
    podSandboxId: string,
  ): Promise<{ status: PodSandboxStatus; info: Record<string, Any> }> {
    const r = await this.#call<Any>(this.#runtime, "PodSandboxStatus", {
      podSandboxId,
      verbose: true,
    });
    return { status: r.status, info: parseInfo(r.info) };
  }

  async listPodSandbox(): Promise<PodSandbox[]> {
    return (await this.#call<Any>(this.#runtime, "ListPodSandbox", {})).items;
  }

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string> {
    const r = await this.#call<Any>(this.#runtime, "CreateContainer", {
      podSandboxId,
      config,
      sandboxConfig,
    });
    return r.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.#call(this.#runtime, "StartContainer", { containerId });
  }

  async stopContainer(containerId: string, timeout: number): Promise<void> {
    await this.#call(this.#runtime, "StopContainer", { containerId, timeout });
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.#call(this.#runtime, "RemoveContainer", { containerId });
  }

  async containerStatus(
    containerId: string,
  ): Promise<{ status: ContainerStatus; info: Record<string, Any> }> {
    const r = await this.#call<Any>(this.#runtime, "ContainerStatus", {
      containerId,
      verbose: true,
    });
    return { status: r.status, info: parseInfo(r.info) };
  }

  async listContainers(podSandboxId?: string): Promise<Container[]> {
    const filter = podSandboxId ? { podSandboxId } : undefined;
    return (await this.#call<Any>(this.#runtime, "ListContainers", { filter })).containers;
  }

  /** Runs `cmd` in the container (the CRI's timeout in seconds, the call's deadline after it). */
  async execSync(containerId: string, cmd: string[], timeout = 30): Promise<ExecResult> {
    const r = await this.#call<Any>(
      this.#runtime,
      "ExecSync",
      { containerId, cmd, timeout },
      (timeout + 30) * 1000,
    );
    const d = new TextDecoder();
    return { stdout: d.decode(r.stdout), stderr: d.decode(r.stderr), exitCode: r.exitCode };
  }
}

function parseInfo(info: Record<string, string> | undefined): Record<string, Any> {
  const out: Record<string, Any> = {};
  for (const [k, v] of Object.entries(info ?? {})) {
    try {
      out[k] = JSON.parse(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}
