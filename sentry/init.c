/* The container init: a clone3 child of the sentry that turns itself into the container's
 * process (PROTOCOL.md §2, "The init"), waits for `start`, then execs the workload.
 * It is single-threaded and a copy of the static sentry, so libc and malloc are safe here. */
#include "kabi.h"
#include "pipe_msgs.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int errfd = -1;
int init_userns_joined;

/* Errors travel as one "E<text>" write (≤ PIPE_BUF, so atomic) on the error pipe. */
_Noreturn void init_die(const char *fmt, ...)
{
	char buf[4001];
	va_list ap;
	buf[0] = MSG_ERROR;
	va_start(ap, fmt);
	vsnprintf(buf + 1, sizeof buf - 1, fmt, ap);
	va_end(ap);
	write_all(errfd, buf, strlen(buf));
	_exit(1);
}

/* The sentry's dispositions (SIGPIPE ignored) and whatever the Deno process left
 * (V8 handles SEGV/BUS, Deno ignores SIGPIPE) must not reach the workload. Raw
 * rt_sigaction, because libc refuses its internal real-time signals. */
static void reset_signals(void)
{
	struct moat_ksigaction dfl = {.handler = SIG_DFL};
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
	}
	uint64_t none = 0;
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none) != 0)
		init_die("unblock signals: %s", errstr(errno));
}

/* Namespaces given by path. All files are opened first (joining the mount or user
 * namespace changes what the paths mean), then joined user first (it grants the
 * rights for the others) and mount last. The pid namespace was joined by the sentry. */
static void join_namespaces(const struct plan *p)
{
	static const uint64_t order[] = {CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET,
					 CLONE_NEWCGROUP, CLONE_NEWTIME, CLONE_NEWNS};
	int fds[sizeof order / sizeof order[0]];
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		const struct plan_ns *ns = plan_ns_find(p, order[i]);
		fds[i] = -1;
		if (!ns || !ns->path || (order[i] == CLONE_NEWUSER && init_userns_joined))
			continue;
		fds[i] = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			init_die("open namespace %s: %s", ns->path, errstr(errno));
	}
	/* exec: the files are open; if the pid they were opened by is no longer the container's
	 * init, they may belong to another process: refuse */
	if (p->exec_target_pid && !proc_is(p->exec_target_pid, p->exec_target_start))
		init_die("cannot exec in a stopped container");
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (fds[i] < 0)
			continue;
		if (setns(fds[i], (int)order[i]) != 0)
			init_die("join namespace %s: %s", plan_ns_find(p, order[i])->path, errstr(errno));
		close(fds[i]);
	}
}

static void set_oom_score_adj(const struct plan *p)
{
	if (!p->has_oom_score_adj)
		return;
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%lld", (long long)p->oom_score_adj);
	int fd = proc_open("/proc/self/oom_score_adj", O_WRONLY);
	if (fd < 0 && errno == EXDEV)
		init_die("set oom_score_adj to %s: /proc/self/oom_score_adj is not on procfs", buf);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		init_die("set oom_score_adj to %s: %s", buf, errstr(errno));
	close(fd);
}

static void set_names(const struct plan *p)
{
	if ((p->hostname || p->domainname) && !plan_ns_find(p, CLONE_NEWUTS))
		init_die("setting the hostname requires a UTS namespace");
	if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) != 0)
		init_die("sethostname %s: %s", p->hostname, errstr(errno));
	if (p->domainname && setdomainname(p->domainname, strlen(p->domainname)) != 0)
		init_die("setdomainname %s: %s", p->domainname, errstr(errno));
}

/* A fresh session keyring per container so containers do not share the host's keys. */
static void join_keyring(const struct plan *p)
{
	if (p->no_new_keyring)
		return;
	if (syscall(SYS_keyctl, MOAT_KEYCTL_JOIN_SESSION_KEYRING, p->session_keyring_name) < 0 &&
	    errno != ENOSYS)
		init_die("join session keyring: %s", errstr(errno));
}

/* linux.seccomp's and moat's filters load together (the decoder holds their EARLY flags equal) */
static int filters_early(const struct plan *p)
{
	return p->seccomp_bpf ? (int)p->seccomp_early : (int)p->sandbox.early;
}

static int is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* process.args[0] lookup with Go's exec.LookPath semantics and runc's error wording,
 * which Docker and Podman map to exit code 127. */
static const char *find_executable(const struct plan *p, char *buf, size_t len)
{
	const char *arg0 = p->argv[0];
	if (strchr(arg0, '/')) {
		struct stat st;
		if (stat(arg0, &st) != 0)
			init_die("exec: \"%s\": stat %s: %s", arg0, arg0, errstr(errno));
		if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
			init_die("exec: \"%s\": permission denied", arg0);
		return arg0;
	}
	if (arg0[0]) {
		for (size_t i = 0; i < p->n_path_dirs; i++) {
			const char *dir = p->path_dirs[i][0] ? p->path_dirs[i] : ".";
			size_t dl = strlen(dir);
			while (dl > 1 && dir[dl - 1] == '/')
				dl--;
			int n = snprintf(buf, len, "%.*s%s%s", (int)dl, dir, dir[dl - 1] == '/' ? "" : "/", arg0);
			if (n < 0 || (size_t)n >= len)
				continue;
			if (is_executable_file(buf))
				return buf;
		}
	}
	init_die("exec: \"%s\": executable file not found in $PATH", arg0);
}

/* A cwd of /proc/self/fd/N names whatever fd N is: one the runtime held would be a directory
 * outside the container's root (CVE-2024-21626). The kernel's getcwd then answers a path that
 * does not start with "/" ("(unreachable)/..."), as it does for any directory outside the root. */
static void check_cwd(const struct plan *p)
{
	static char buf[4097];
	long r = syscall(SYS_getcwd, buf, sizeof buf);
	if (r < 0 && errno == ERANGE)
		return; /* longer than PATH_MAX: it was reached by name from inside the root */
	if (r < 0 || buf[0] != '/')
		init_die("chdir to cwd (\"%s\") set in config.json failed: it is outside the container's root",
			 p->cwd);
}

_Noreturn void init_main(const struct plan *p, int start_rd, int err_wr)
{
	static char exe[8192];
	errfd = err_wr;

	/* No parent-death signal: our parent is the process that called create, which exits
	 * while we wait for start (runc's model). Losing the sentry before start is fatal anyway
	 * (EOF on the start pipe); after start the workload runs on like runc's. */
	reset_signals();
	/* createContainer hook binaries are opened in the runtime's view, before anything changes */
	hooks_init(p, start_rd, err_wr);
	/* through the runtime's /proc, before a mount namespace joined by path puts the /proc of
	 * another container there */
	set_oom_score_adj(p);
	/* not dumpable until the workload's execve (which makes it dumpable again): a container
	 * process sharing our pid namespace (exec before start, a joined pid namespace) can then
	 * open neither the fds of our /proc/<pid>/fd nor our /proc/<pid>/exe without
	 * CAP_SYS_PTRACE (runc's init does the same). Not with a user namespace: our /proc files
	 * would then belong to the host's root, out of reach of our own namespace's root and of
	 * an unprivileged sentry. */
	if (!plan_ns_find(p, CLONE_NEWUSER) && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		init_die("prctl PR_SET_DUMPABLE: %s", errstr(errno));
	join_namespaces(p);
	/* in a user namespace, new or joined, act as its root: our host ids are unmapped there,
	 * and files we create with them would fail with EOVERFLOW */
	if (plan_ns_find(p, CLONE_NEWUSER))
		userns_become_root();

	/* exec, or a mount namespace joined by path: that filesystem is set up already.
	 * Without a mount namespace the container shares the caller's and has no mounts of its
	 * own (create refused any): it is only chrooted into its rootfs, as runc does. */
	const struct plan_ns *mntns = plan_ns_find(p, CLONE_NEWNS);
	if (!p->exec && mntns && !mntns->path)
		mounts_setup(p);
	else if (!p->exec && !mntns) {
		hooks_before_pivot(p); /* prestart/createRuntime and createContainer hooks */
		if (chroot(p->rootfs) != 0 || chdir("/") != 0)
			init_die("chroot to %s: %s", p->rootfs, errstr(errno));
	}
	/* the pty comes from the container's own devpts, so after pivot_root */
	if (p->terminal)
		console_setup_init(p, init_console_fd);

	if (!p->exec) {
		set_names(p);
		join_keyring(p);
	}
	creds_rlimits(p);
	/* personality, scheduler, I/O priority, initial CPU affinity: still as root */
	attrs_apply(p);

	/* runc changes to the cwd before the lookup (a relative "./x" is relative to it) and
	 * retries as the container user when root may not enter it (root_squash NFS) */
	int cwd_later = 0;
	if (chdir(p->cwd) != 0) {
		if (errno != EACCES && errno != EPERM)
			init_die("chdir to cwd (\"%s\") set in config.json failed: %s", p->cwd, errstr(errno));
		cwd_later = 1;
	} else {
		check_cwd(p);
	}
	/* without no_new_privs the kernel wants CAP_SYS_ADMIN for seccomp(): when the workload
	 * will not have it, the filter goes in before the credential change, as runc does */
	if (filters_early(p))
		seccomp_install(p, start_rd, err_wr);
	creds_apply(p);
	/* linux.memoryPolicy: inherited across execve, so set it on ourselves last */
	if (p->has_mempolicy &&
	    syscall(SYS_set_mempolicy, (int)p->mempolicy_mode,
		    p->mempolicy_nodes_len ? (const unsigned long *)(const void *)p->mempolicy_nodes : NULL,
		    (unsigned long)(p->mempolicy_nodes_len * 8 + 1)) != 0)
		init_die("linux.memoryPolicy: set_mempolicy: %s", errstr(errno));
	if (cwd_later && chdir(p->cwd) != 0)
		init_die("chdir to cwd (\"%s\") set in config.json failed: %s", p->cwd, errstr(errno));
	if (cwd_later)
		check_cwd(p);
	const char *path = find_executable(p, exe, sizeof exe);

	/* only 0-2, the preserved fds and our close-on-exec pipes may survive execve
	 * (a leaked host fd is the CVE-2024-21626 class) */
	if (fds_cloexec_from(3 + (int)p->preserve_fds) != 0)
		init_die("mark fds close-on-exec: %s", errstr(errno));

	write_all(err_wr, &(char){MSG_READY}, 1);
	char c;
	ssize_t r;
	do
		r = read(start_rd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		_exit(1); /* the sentry is gone: never run the workload unsupervised */
	/* runtime-spec: startContainer hooks run in the container after `start`, before the
	 * workload's execve; a failure is reported like a failed execve */
	hooks_start_container(p);

	/* the very last step before execve: the profile sees only the workload's syscalls */
	if (!filters_early(p))
		seccomp_install(p, start_rd, err_wr);
	static char *const no_env[] = {NULL};
	execve(path, p->argv, p->envp ? p->envp : no_env);
	char msg[4001];
	int n = snprintf(msg, sizeof msg, "%cexec %s: %s", MSG_ERROR, path, errstr(errno));
	size_t len = n < (int)sizeof msg ? (size_t)n : sizeof msg - 1;
	write_all(err_wr, msg, len);
	/* a detached exec's CLI is gone by now: the process's own stderr is where it shows */
	if (p->exec_release) {
		write_all(2, msg + 1, len - 1);
		write_all(2, "\n", 1);
	}
	_exit(127);
}
