// Help texts in runc's layout (NAME, USAGE, description, OPTIONS): `moat --help`, `moat help
// [CMD]`, `moat CMD --help`. Loaded by cli/main.ts only when help is asked for. Every flag of a
// command's table is listed here (tests/unit/cli/usage_test.ts checks both ways).

interface CommandHelp {
  summary: string;
  usage: string;
  description?: string;
  /** [flag names as runc prints them, description] */
  options: Array<[string, string]>;
}

const ID = `Where "<container-id>" is your name for the instance of the container.`;

const CREATE_OPTIONS: Array<[string, string]> = [
  [
    "--bundle value, -b value",
    `path to the root of the bundle directory, defaults to the current directory`,
  ],
  [
    "--console-socket value",
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
  ],
  [
    "--pidfd-socket value",
    "path to an AF_UNIX socket which will receive a pidfd referencing the init process",
  ],
  ["--pid-file value", "specify the file to write the process id to"],
  ["--no-pivot", "do not use pivot root to jail process inside rootfs (MS_MOVE and chroot)"],
  ["--no-new-keyring", "do not create a new session keyring for the container"],
  [
    "--preserve-fds value",
    "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total) (default: 0)",
  ],
];

export const COMMAND_HELP: Record<string, CommandHelp> = {
  create: {
    summary: "create a container",
    usage: "<container-id>",
    description: `${ID}

The create command creates an instance of a container for a bundle. The bundle is a directory
with a specification file named "config.json" and a root filesystem. The container's init waits
for "moat start"; its pid is written to --pid-file and shown by "moat state".`,
    options: CREATE_OPTIONS,
  },
  start: {
    summary: "executes the user defined process in a created container",
    usage: "<container-id>",
    description: `${ID}

The start command executes the user defined process in a created container.`,
    options: [],
  },
  state: {
    summary: "output the state of a container",
    usage: "<container-id>",
    description: `${ID}`,
    options: [],
  },
  kill: {
    summary: "kill sends the specified signal (default: SIGTERM) to the container's init process",
    usage: "<container-id> [signal]",
    description: `Where "<container-id>" is the name for the instance of the container and
"[signal]" is the signal to be sent to the init process (a number, KILL or SIGKILL).

EXAMPLE:
For example, if the container id is "ubuntu01" the following will send a "KILL"
signal to the init process of the "ubuntu01" container:

       # moat kill ubuntu01 KILL`,
    options: [
      ["--all, -a", "send the specified signal to all processes inside the container"],
      [
        "--pid value",
        "send the signal to this process of the container (its host pid, as ps shows it) instead of the init",
      ],
    ],
  },
  delete: {
    summary: "delete any resources held by the container often used with detached container",
    usage: "<container-id>",
    description: `${ID}

EXAMPLE:
For example, if the container id is "ubuntu01" and moat list currently shows the
status of "ubuntu01" as "stopped" the following will delete resources held for
"ubuntu01" removing "ubuntu01" from the moat list of containers:

       # moat delete ubuntu01`,
    options: [
      [
        "--force, -f",
        "Forcibly deletes the container if it is still running (uses SIGKILL)",
      ],
    ],
  },
  run: {
    summary: "create and run a container",
    usage: "<container-id>",
    description: `${ID}

The run command creates an instance of a container for a bundle and starts it. In the foreground
it relays stdio (or a terminal), forwards signals, exits with the container's status and deletes
the container unless --keep.`,
    options: [
      ...CREATE_OPTIONS,
      ["--detach, -d", "detach from the container's process"],
      ["--keep", "do not delete the container after it exits"],
      ["--no-subreaper", "disable the use of the subreaper used to reap reparented processes"],
    ],
  },
  list: {
    summary: "lists containers started by moat with the given root",
    usage: "",
    description: `EXAMPLE 1:
To list containers created via the default "--root":
       # moat list`,
    options: [
      ["--format value, -f value", `select one of: table or json (default: "table")`],
      ["--quiet, -q", "display only container IDs"],
      ["--sandbox", "list only the sandboxes (pods) and containers outside any pod"],
    ],
  },
  spec: {
    summary: "create a new specification file",
    usage: "",
    description:
      `The spec command creates the new specification file named "config.json" for the bundle,
with moat's default seccomp profile.`,
    options: [
      ["--bundle value, -b value", "path to the root of the bundle directory"],
      ["--rootless", "generate a configuration for a rootless container"],
      ["--seccomp", "write moat's default seccomp profile (--seccomp=false: none) (default: true)"],
    ],
  },
  exec: {
    summary: "execute new process inside the container",
    usage: "<container-id> <command> [command options]  || -p process.json <container-id>",
    description: `Where "<container-id>" is the name for the instance of the container and
"<command>" is the command to be executed in the container.
"<command>" can't be empty unless a "-p" flag provided.

EXAMPLE:
For example, if the container is configured to run the linux ps command the
following will output a list of processes running in the container:

       # moat exec <container-id> ps`,
    options: [
      [
        "--console-socket value",
        "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
      ],
      [
        "--pidfd-socket value",
        "path to an AF_UNIX socket which will receive a pidfd referencing the process",
      ],
      ["--cwd value", "current working directory in the container"],
      ["--env value, -e value", "set environment variables"],
      ["--tty, -t", "allocate a pseudo-TTY"],
      ["--user value, -u value", "UID (format: <uid>[:<gid>])"],
      ["--additional-gids value, -g value", "additional gids"],
      ["--process value, -p value", "path to the process.json"],
      ["--detach, -d", "detach from the container's process"],
      ["--pid-file value", "specify the file to write the process id to"],
      ["--process-label value", "refused: moat has no SELinux support"],
      ["--apparmor value", "refused: moat has no AppArmor support"],
      ["--no-new-privs", "set the no new privileges value for the process"],
      ["--cap value, -c value", "add a capability to the bounding set for the process"],
      [
        "--preserve-fds value",
        "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total) (default: 0)",
      ],
      [
        "--cgroup value",
        "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.",
      ],
      ["--ignore-paused", "allow exec in a paused container"],
    ],
  },
  update: {
    summary: "update container resource constraints",
    usage: "<container-id>",
    description: `${ID}

The data can be read from a file or the standard input (--resources FILE or -), as a
runtime-spec LinuxResources JSON object, or given with the flags below (not both).`,
    options: [
      ["--resources value, -r value", "path to a file containing the resources to update or '-'"],
      [
        "--blkio-weight value",
        "Specifies per cgroup weight, range is from 10 to 1000 (default: 0)",
      ],
      [
        "--cpu-period value",
        "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default",
      ],
      ["--cpu-quota value", "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"],
      ["--cpu-burst value", "CPU CFS hardcap burst limit (in usecs)"],
      ["--cpu-idle value", "set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE"],
      ["--cpu-share value", "CPU shares (relative weight vs. other containers)"],
      ["--cpu-rt-period value", "CPU realtime period to be used for hardcapping (in usecs)"],
      ["--cpu-rt-runtime value", "CPU realtime hardcap limit (in usecs)"],
      ["--cpuset-cpus value", "CPU(s) to use"],
      ["--cpuset-mems value", "Memory node(s) to use"],
      ["--kernel-memory value", "(obsoleted; do not use)"],
      ["--kernel-memory-tcp value", "Kernel memory limit (in bytes) for tcp buffer"],
      ["--memory value", "Memory limit (in bytes)"],
      ["--memory-reservation value", "Memory reservation or soft_limit (in bytes)"],
      [
        "--memory-swap value",
        "Total memory usage (memory + swap); set '-1' to enable unlimited swap",
      ],
      ["--pids-limit value", "Maximum number of pids allowed in the container (default: 0)"],
      ["--l3-cache-schema value", "refused: moat has no Intel RDT support"],
      ["--mem-bw-schema value", "refused: moat has no Intel RDT support"],
    ],
  },
  pause: {
    summary: "pause suspends all processes inside the container",
    usage: "<container-id>",
    description: `Where "<container-id>" is the name for the instance of the container to be
paused.`,
    options: [],
  },
  resume: {
    summary: "resumes all processes that have been previously paused",
    usage: "<container-id>",
    description: `Where "<container-id>" is the name for the instance of the container to be
resumed.`,
    options: [],
  },
  ps: {
    summary: "ps displays the processes running inside a container",
    usage: "<container-id> [ps options]",
    options: [["--format value, -f value", `select one of: table or json (default: "table")`]],
  },
  events: {
    summary:
      "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
    usage: "<container-id>",
    description: `${ID}`,
    options: [
      ["--interval value", "set the stats collection interval (default: 5s)"],
      ["--stats", "display the container's stats then exit"],
    ],
  },
  features: {
    summary: "show the enabled features",
    usage: "",
    description: "Show the enabled features (the OCI features document, as JSON).",
    options: [],
  },
  trace: {
    summary: "follow a container's mediation events as JSON lines",
    usage: "<container-id>",
    description: `${ID}

Prints the sandbox's mediation events (annotation dev.moat.trace) until the container ends.`,
    options: [],
  },
  checkpoint: {
    summary: "checkpoint a running container",
    usage: "<container-id>",
    description: `${ID}

The checkpoint command saves the state of the container instance with CRIU. "moat features" says
whether CRIU can checkpoint on this host; a container whose sandbox mediates system calls is
refused (annotation dev.moat.mediation=off allows it).`,
    options: [
      ["--image-path value", "path for saving criu image files"],
      ["--work-path value", "path for saving work files and logs"],
      ["--parent-path value", "path for previous criu image files in pre-dump"],
      ["--leave-running", "leave the process running after checkpointing"],
      ["--tcp-established", "allow open tcp connections"],
      ["--ext-unix-sk", "allow external unix sockets"],
      ["--shell-job", "allow shell jobs"],
      ["--lazy-pages", "refused: lazy migration is not supported"],
      ["--status-fd value", "criu writes \\0 to this FD once lazy-pages is ready"],
      ["--page-server value", "ADDRESS:PORT of the page server"],
      ["--file-locks", "handle file locks, for safety"],
      [
        "--pre-dump",
        "dump container's memory information only, leave the container running after this",
      ],
      ["--manage-cgroups-mode value", "cgroups mode: soft|full|strict|ignore (default: soft)"],
      ["--empty-ns value", "create a namespace, but don't restore its properties"],
      ["--auto-dedup", "enable auto deduplication of memory images"],
    ],
  },
  restore: {
    summary: "restore a container from a previous checkpoint",
    usage: "<container-id>",
    description: `${ID}

Restores the saved state of the container instance that was previously saved using the moat
checkpoint command; a new sentry attaches to the restored init.`,
    options: [
      [
        "--console-socket value",
        "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
      ],
      ["--image-path value", "path to criu image files for restoring"],
      ["--work-path value", "path for saving work files and logs"],
      ["--tcp-established", "allow open tcp connections"],
      ["--ext-unix-sk", "allow external unix sockets"],
      ["--shell-job", "allow shell jobs"],
      ["--file-locks", "handle file locks, for safety"],
      ["--manage-cgroups-mode value", "cgroups mode: soft|full|strict|ignore (default: soft)"],
      ["--bundle value, -b value", "path to the root of the bundle directory"],
      ["--detach, -d", "detach from the container's process"],
      ["--pid-file value", "specify the file to write the process id to"],
      ["--no-subreaper", "disable the use of the subreaper used to reap reparented processes"],
      ["--no-pivot", "do not use pivot root to jail process inside rootfs"],
      ["--empty-ns value", "create a namespace, but don't restore its properties"],
      ["--auto-dedup", "enable auto deduplication of memory images"],
      ["--lazy-pages", "refused: lazy migration is not supported"],
      ["--lsm-profile value", "Specify an LSM profile to be used during restore"],
      ["--lsm-mount-context value", "Specify an LSM mount context to be used during restore"],
    ],
  },
  tar: {
    summary: "write a container's rootfs overlay upper layer as a tar (runsc's tar rootfs-upper)",
    usage: "rootfs-upper --file <file> <container-id>",
    description: `${ID}

Writes the upper layer of the container's rootfs overlay (--overlay2 or annotation
dev.moat.overlay2) as an OCI layer tar: deleted lower files as .wh.NAME whiteouts, opaque
directories as .wh..wh..opq.`,
    options: [["--file value", "the tar file to write"]],
  },
};

export const GLOBAL_OPTIONS: Array<[string, string]> = [
  ["--debug", "enable debug logging"],
  ["--log value", "set the log file to write moat logs to (default is '/dev/stderr')"],
  ["--log-format value", `set the log format ('text' (default), or 'json') (default: "text")`],
  [
    "--root value",
    `root directory for storage of container state (this should be located in tmpfs) (default: "/run/moat")`,
  ],
  [
    "--systemd-cgroup",
    `expects cgroupsPath to be of form "slice:prefix:name" (the cgroupfs path systemd would use; no systemd units)`,
  ],
  [
    "--rootless value",
    "ignore cgroup permission errors ('true', 'false', or 'auto') (default: \"auto\")",
  ],
  [
    "--policy value",
    "defaults of the dev.moat.* sandbox annotations (a JSON object of the same keys)",
  ],
  [
    "--overlay2 value",
    'rootfs overlay: none, root:MEDIUM or all:MEDIUM; MEDIUM memory[,size=N], self or dir=/abs/path (default: "none"; annotation dev.moat.overlay2 wins)',
  ],
  ["--criu value", 'path to the criu binary used for checkpoint and restore (default: "criu")'],
  ["--help, -h", "show help"],
  ["--version, -v", "print the version"],
];

function table(rows: Array<[string, string]>): string {
  const w = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, d]) => `   ${n.padEnd(w)}  ${d}`).join("\n");
}

/** `moat --help`, `moat help`, `moat` alone. */
export function globalHelp(version: string, spec: string): string {
  const cmds: Array<[string, string]> = Object.entries(COMMAND_HELP).map((
    [n, h],
  ) => [n, h.summary]);
  cmds.push(["help, h", "Shows a list of commands or help for one command"]);
  return `NAME:
   moat - a sandboxing Open Container Initiative runtime

moat is a command line client for running applications packaged according to
the Open Container Initiative (OCI) format, with runc's command line. Each
container runs beside a small supervisor, the sentry, that applies its sandbox
policy.

Containers are configured using bundles. A bundle for a container is a directory
that includes a specification file named "config.json" and a root filesystem.

To start a new instance of a container:

    # moat run [ -b bundle ] <container-id>

USAGE:
   moat [global options] command [command options] [arguments...]

VERSION:
   ${version}
spec: ${spec}

COMMANDS:
${table(cmds)}

GLOBAL OPTIONS:
${table(GLOBAL_OPTIONS)}
`;
}

/** `moat help CMD`, `moat CMD --help`; undefined for an unknown command. */
export function commandHelp(name: string): string | undefined {
  if (name === "help" || name === "h") {
    return `NAME:
   moat help - Shows a list of commands or help for one command

USAGE:
   moat help [command]
`;
  }
  const h = Object.hasOwn(COMMAND_HELP, name) ? COMMAND_HELP[name] : undefined;
  if (!h) return undefined;
  const usage = h.options.length
    ? `moat ${name} [command options] ${h.usage}`
    : `moat ${name} ${h.usage}`;
  let out = `NAME:\n   moat ${name} - ${h.summary}\n\nUSAGE:\n   ${usage.trimEnd()}\n`;
  if (h.description) out += `\n${h.description}\n`;
  if (h.options.length) out += `\nOPTIONS:\n${table(h.options)}\n`;
  return out;
}

/** Flag names (long and short) a help entry lists: `--env value, -e value` → env, e. */
export function listedFlags(rows: Array<[string, string]>): string[] {
  return rows.flatMap(([n]) => n.split(", ").map((f) => f.replace(/^--?/, "").split(" ")[0]));
}

export class UnknownCommandError extends Error {
  /** runc (urfave/cli) exits 3 for a command or help topic it does not know. */
  readonly exitCode = 3;
}

/** Print help for `topic` (the global help when undefined) on stdout; 0, or throws. */
export function printHelp(topic: string | undefined, version: string, spec: string): number {
  const text = topic === undefined ? globalHelp(version, spec) : commandHelp(topic);
  if (text === undefined) throw new UnknownCommandError(`No help topic for '${topic}'`);
  Deno.stdout.writeSync(new TextEncoder().encode(text));
  return 0;
}
