/* moat-sentry: one per container. Reads the launch plan, clones the container init into
 * its namespaces, reports to `moat create`, then supervises: it serves start/kill/state/
 * wait on the control socket and exits with the init's status (PROTOCOL.md §2-§4).
 * Static musl, single-threaded: the engine's subreaper reaps *this* process, so it must
 * mirror the init's exit status exactly. */
#include "cgroup.h"
#include "kabi.h"
#include "log.h"
#include "sentry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLAN_FILE_MAX (64u << 20)
#define MAX_CLIENTS 64
#define REQ_MAX 256

static struct plan *P;
static int host_proc; /* defined with the kill --all code below */
static int pidfd = -1, start_wr = -1, err_rd = -1, listen_fd = -1;
static pid_t init_pid;
static int running;         /* start succeeded */
static int start_attempted; /* start was sent (successful or not) */
static struct stat init_pidns;
/* process.terminal: the socketpair the init sends the pty master over; the master while we
 * relay it (foreground run) and the caller's stdio we relay to */
static int console_sp = -1, master_fd = -1, relay_in = -1, relay_out = -1;

struct client {
	int fd;
	int waiting;
	size_t len;
	char buf[REQ_MAX];
};
static struct client clients[MAX_CLIENTS];
static size_t n_clients;

/* A start in progress: the init runs startContainer hooks and execs while we keep serving
 * kill/state/wait; its error pipe is polled and the reply goes to this client (by fd, since
 * clients move in the array). */
static int start_pending, start_client = -1;
static char start_msg[4100];
static size_t start_len;

/* ---- reporting ---- */

static void notify(const char *line)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", P->notify_socket);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		log_msg("error", "notify socket %s: %s", P->notify_socket, errstr(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	size_t len = strlen(line);
	while (len) {
		ssize_t w = send(fd, line, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		line += w;
		len -= (size_t)w;
	}
	close(fd);
}

static void kill_init(void)
{
	if (pidfd < 0)
		return;
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	siginfo_t si;
	while (waitid((idtype_t)MOAT_P_PIDFD, (id_t)pidfd, &si, WEXITED) != 0 && errno == EINTR)
		;
}

/* A setup error before the container exists: tell `moat create`, leave nothing behind. */
static _Noreturn void setup_fail(const char *fmt, ...)
{
	char msg[4200], line[4300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	log_msg("error", "%s", msg);
	kill_init();
	snprintf(line, sizeof line, "error %s\n", msg);
	notify(line);
	if (listen_fd >= 0)
		unlink(P->control_socket);
	_exit(1);
}

/* ---- setup ---- */

static struct plan *load_plan(const char *path)
{
	char err[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "moat-sentry: open plan %s: %s\n", path, errstr(errno));
		exit(1);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PLAN_FILE_MAX) {
		fprintf(stderr, "moat-sentry: plan %s is not a regular file under %u bytes\n", path,
			PLAN_FILE_MAX);
		exit(1);
	}
	size_t size = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf) {
		fprintf(stderr, "moat-sentry: out of memory\n");
		exit(1);
	}
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "moat-sentry: read plan %s: %s\n", path,
				r < 0 ? errstr(errno) : "short read");
			exit(1);
		}
		got += (size_t)r;
	}
	close(fd);
	struct plan *p;
	if (plan_decode(buf, size, &p, err, sizeof err) != 0) {
		fprintf(stderr, "moat-sentry: %s\n", err);
		exit(1);
	}
	free(buf);
	return p;
}

/* Give every fd below `base` a file (/dev/null where create passed none), so fds we open
 * later can never land in the range the init hands to the workload. */
static void fill_fd_holes(int base)
{
	for (int fd = 0; fd < base; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

static uint64_t new_ns_flags(void)
{
	uint64_t f = 0;
	for (size_t i = 0; i < P->n_ns; i++)
		if (!P->ns[i].path)
			f |= P->ns[i].type;
	return f;
}

static void spawn_init(void)
{
	int start[2], errp[2];
	const struct plan_ns *pidns = plan_ns_find(P, CLONE_NEWPID);
	const struct plan_ns *userns = plan_ns_find(P, CLONE_NEWUSER);
	int new_userns = userns && !userns->path;
	int mapsync[2] = {-1, -1};
	if (new_userns && pipe2(mapsync, O_CLOEXEC) != 0)
		setup_fail("pipe: %s", errstr(errno));

	/* the init must be born in a joined pid namespace: setns here affects children only */
	if (pidns && pidns->path) {
		int fd = open(pidns->path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && P->exec_target_pid && !proc_is(P->exec_target_pid, P->exec_target_start))
			setup_fail("cannot exec in a stopped container");
		if (fd < 0 || setns(fd, CLONE_NEWPID) != 0)
			setup_fail("join pid namespace %s: %s", pidns->path, errstr(errno));
		close(fd);
	}
	if (pipe2(start, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)
		setup_fail("pipe: %s", errstr(errno));
	int csp[2] = {-1, -1};
	if (P->terminal && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, csp) != 0)
		setup_fail("socketpair: %s", errstr(errno));

	/* idmapped mounts: their user namespaces exist before the init (who attaches them) */
	for (size_t i = 0; i < P->n_mounts; i++) {
		struct plan_mount *m = &P->mounts[i];
		if (!m->n_uid_maps && !m->n_gid_maps)
			continue;
		/* Idmapping needs CAP_SYS_ADMIN where the filesystem was mounted (the host), which
		 * an init in its own user namespace lacks: the sentry clones and idmaps the source
		 * tree here, and the init only moves the finished mount into place. */
		char ierr[256];
		int userns = userns_for_maps(m->uid_maps, m->n_uid_maps, m->gid_maps, m->n_gid_maps,
					     ierr, sizeof ierr);
		if (userns < 0)
			setup_fail("mount %s: %s", m->dest, ierr);
		int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source ? m->source : "",
					MOAT_OPEN_TREE_CLONE | O_CLOEXEC | ((m->flags & 0x4000 /* MS_REC */) ? AT_RECURSIVE : 0));
		if (tree < 0)
			setup_fail("idmapped mount %s: open_tree %s: %s", m->dest, m->source, errstr(errno));
		struct moat_mount_attr attr = {.attr_set = MOAT_MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0),
			    &attr, sizeof attr) != 0)
			setup_fail("idmapped mount %s: mount_setattr: %s", m->dest, errstr(errno));
		close(userns);
		m->idmap_tree = tree;
	}

	/* cgroups (PROTOCOL.md §1, tags 40-49): join them, then clone the init into the v2 leaf */
	char cgerr[4200];
	if (cgroup_join(P, cgerr, sizeof cgerr) != 0)
		setup_fail("%s", cgerr);
	int cgfd = cgroup_v2_fd(P, cgerr, sizeof cgerr);
	if (cgfd == -2)
		setup_fail("%s", cgerr);

	/* a new time namespace is prepared here, offsets and all, and the init born into it
	 * without CLONE_NEWTIME (process_attrs.c) */
	if (attrs_timens(P, cgerr, sizeof cgerr) != 0)
		setup_fail("%s", cgerr);
	struct moat_clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_PIDFD | (new_ns_flags() & ~(uint64_t)CLONE_NEWTIME);
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	if (cgfd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgfd;
	}
	long r = syscall(SYS_clone3, &ca, sizeof ca);
	if (r < 0 && cgfd >= 0 && (errno == E2BIG || errno == EINVAL || errno == EOPNOTSUPP)) {
		/* a kernel without CLONE_INTO_CGROUP: we joined the leaf already, so plain clone3 */
		ca.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		ca.cgroup = 0;
		r = syscall(SYS_clone3, &ca, sizeof ca);
	}
	if (r < 0)
		setup_fail("clone3: %s", errstr(errno));
	if (r > 0 && cgfd >= 0)
		close(cgfd);
	if (r == 0) {
		close(start[1]);
		close(errp[0]);
		if (csp[0] >= 0)
			close(csp[0]);
		init_console_fd = csp[1];
		close(host_proc); /* the container never holds the host's /proc */
		if (new_userns) {
			/* nothing may happen in the namespace before its maps exist */
			char c;
			ssize_t n;
			close(mapsync[1]);
			do
				n = read(mapsync[0], &c, 1);
			while (n < 0 && errno == EINTR);
			if (n != 1)
				_exit(1);
			close(mapsync[0]);
		}
		init_main(P, start[0], errp[1]);
	}
	init_pid = (pid_t)r;
	/* the init holds the idmapped trees it will move into place; we need them no longer */
	for (size_t i = 0; i < P->n_mounts; i++)
		if (P->mounts[i].idmap_tree >= 0) {
			close(P->mounts[i].idmap_tree);
			P->mounts[i].idmap_tree = -1;
		}
	/* linux.netDevices: moved while we are still in the host's network namespace */
	if (P->n_netdevs) {
		char path[64], nerr[256];
		snprintf(path, sizeof path, "/proc/%d/ns/net", (int)r);
		int nfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nfd < 0) {
			kill_init();
			setup_fail("open %s: %s", path, errstr(errno));
		}
		for (size_t i = 0; i < P->n_netdevs; i++)
			if (netdev_move(P->netdevs[i].name, P->netdevs[i].newname, nfd, nerr, sizeof nerr) != 0) {
				kill_init();
				setup_fail("%s", nerr);
			}
		close(nfd);
	}
	if (new_userns) {
		char uerr[256];
		close(mapsync[0]);
		if (userns_write_maps(init_pid, P, uerr, sizeof uerr) != 0) {
			kill_init();
			setup_fail("%s", uerr);
		}
		if (write(mapsync[1], "M", 1) != 1)
			setup_fail("release the init: %s", errstr(errno));
		close(mapsync[1]);
	}
	if (csp[1] >= 0)
		close(csp[1]);
	console_sp = csp[0];
	close(start[0]);
	close(errp[1]);
	start_wr = start[1];
	err_rd = errp[0];
}

/* Read everything the init wrote until it closes the error pipe (exit or execve). */
static size_t read_err(char *buf, size_t len)
{
	size_t got = 0;
	for (;;) {
		ssize_t r = read(err_rd, buf + got, len - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || got + (size_t)r >= len - 1) {
			if (r > 0)
				got += (size_t)r;
			break;
		}
		got += (size_t)r;
	}
	buf[got] = 0;
	return got;
}

/* The init reported "F<fd>\n" (its first byte already read): hand the seccomp listener over.
 * Returns 0, or -1 with the message in msg (4100 bytes). */
static int seccomp_handover_rest(char *msg)
{
	return seccomp_handover(P, pidfd, init_pid, err_rd, start_wr, msg, 4100, 1);
}

static void join_init_namespaces(void);

static void wait_ready(void)
{
	char c, msg[4100];
	ssize_t r;
	do
		r = read(err_rd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r == 1 && c == 'R')
		return;
	if (r == 1 && c == 'F' && P->seccomp_notify && P->seccomp_early) {
		/* the init loaded seccomp before its credential change: take the listener now */
		if (seccomp_handover_rest(msg))
			setup_fail("%s", msg);
		wait_ready();
		return;
	}
	if (r == 1 && c == 'H') {
		/* the init stopped before pivot_root for prestart/createRuntime (PROTOCOL.md §8):
		 * hooks that enter our pid's network namespace must find the container's */
		join_init_namespaces();
		if (hooks_sentry_pause(P, init_pid, start_wr, msg, sizeof msg) != 0)
			setup_fail("%s", msg);
		wait_ready();
		return;
	}
	if (r == 1 && c == 'E') {
		read_err(msg, sizeof msg);
		setup_fail("%s", msg);
	}
	siginfo_t si = {0};
	waitid((idtype_t)MOAT_P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG);
	if (si.si_pid && si.si_code == CLD_EXITED)
		setup_fail("container init exited with status %d before it was ready", si.si_status);
	if (si.si_pid)
		setup_fail("container init killed by signal %d before it was ready", si.si_status);
	setup_fail("container init closed its error pipe before it was ready");
}

/* Engines read /proc/<reported pid>/ns/net and expect the container's: the reported pid
 * is ours, so join the init's net, uts and ipc namespaces. */
static void join_init_namespaces(void)
{
	/* called at the hook pause and again after ready: entering a user namespace we are
	 * already in is EINVAL, so do it once */
	static int joined;
	if (joined)
		return;
	joined = 1;
	int flags = 0;
	static const int kinds[] = {CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC};
	for (size_t i = 0; i < 3; i++)
		if (plan_ns_find(P, (uint64_t)kinds[i]))
			flags |= kinds[i];
	/* unprivileged (rootless), we may enter namespaces owned by the container's user namespace
	 * only from inside it; root keeps its host privileges and stays outside */
	const struct plan_ns *u = plan_ns_find(P, CLONE_NEWUSER);
	if (flags && u && geteuid() != 0)
		flags |= CLONE_NEWUSER;
	if (flags && setns(pidfd, flags) != 0)
		setup_fail("join the container's namespaces: %s", errstr(errno));
}

static void listen_control(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", P->control_socket);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0)
		setup_fail("control socket: %s", errstr(errno));
	struct stat st;
	if (lstat(P->control_socket, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(P->control_socket); /* stale, from a sentry that died */
	mode_t old = umask(0177);
	int r = bind(listen_fd, (struct sockaddr *)&a, sizeof a);
	umask(old);
	if (r != 0 || chmod(P->control_socket, 0600) != 0 || listen(listen_fd, 64) != 0)
		setup_fail("control socket %s: %s", P->control_socket, errstr(errno));
}

/* ---- control requests ---- */

static void reply(struct client *c, const char *fmt, ...)
{
	char line[4300];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	/* replies are short and each socket is fresh: a non-blocking send does not block,
	 * and a peer that went away must not take the sentry down (MSG_NOSIGNAL) */
	if (c->fd < 0)
		return;
	ssize_t w = send(c->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)w;
}

static void enter_container_mnt(void);

static void do_start(struct client *c)
{
	char msg[4100];
	if (start_attempted) {
		reply(c, "error not created\n");
		return;
	}
	start_attempted = 1;
	ssize_t w;
	do
		w = write(start_wr, "S", 1);
	while (w < 0 && errno == EINTR);
	int e = errno;
	/* a seccomp listener loaded right before execve is handed over first (PROTOCOL.md §7);
	 * on failure closing start_wr makes the waiting init exit */
	int sc = w == 1 && P->seccomp_notify && !P->seccomp_early
			 ? seccomp_handover(P, pidfd, init_pid, err_rd, start_wr, msg, sizeof msg, 0)
			 : 0;
	close(start_wr);
	start_wr = -1;
	if (w != 1) {
		reply(c, "error start: %s\n", errstr(e));
		return;
	}
	if (sc != 0) {
		log_msg("error", "start: %s", msg);
		reply(c, "error %s\n", msg);
		return;
	}
	/* the error pipe is close-on-exec: EOF with nothing written means execve succeeded;
	 * serve() polls it and calls finish_start */
	start_pending = 1;
	start_client = c->fd;
	start_len = 0;
	c->waiting = 2;
}

static struct client *client_by_fd(int fd)
{
	for (size_t i = 0; i < n_clients; i++)
		if (clients[i].fd == fd)
			return &clients[i];
	return NULL;
}

/* The start's outcome, once the init closed its error pipe (execve or exit). */
static void finish_start(void)
{
	char *msg = start_msg;
	size_t n = start_len;
	msg[n] = 0;
	start_pending = 0;
	close(err_rd);
	err_rd = -1;
	struct client none = {.fd = -1};
	struct client *c = client_by_fd(start_client);
	if (!c)
		c = &none; /* the caller went away: still finish the transition */
	c->waiting = 0;
	if (n == 0 && attrs_after_exec(P, init_pid, msg, sizeof start_msg) != 0) {
		/* the workload runs already: it must not go on with the wrong CPUs */
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		log_msg("error", "start: %s", msg);
		reply(c, "error %s\n", msg);
		return;
	}
	if (n == 0) {
		running = 1;
		/* after everything start needed on the host (a seccomp agent's socket, say) */
		enter_container_mnt();
		log_msg("info", "container %s started (pid %d)", P->container_id, (int)init_pid);
		reply(c, "ok\n");
		return;
	}
	const char *text = msg[0] == 'E' ? msg + 1 : msg;
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	log_msg("error", "start: %s", text);
	reply(c, "error %s\n", text);
}

/* The host's /proc and our state directory, opened before the sentry enters the container's
 * mount namespace (enter_container_mnt): from then on no path may be resolved in that view. */
static int host_proc = -1, state_dir = -1;
static const char *control_name;

static int same_pidns(pid_t pid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "%d/ns/pid", (int)pid);
	return fstatat(host_proc, path, &st, 0) == 0 && st.st_ino == init_pidns.st_ino &&
	       st.st_dev == init_pidns.st_dev;
}

static void unlink_control_socket(void)
{
	if (state_dir >= 0 && control_name)
		unlinkat(state_dir, control_name, 0);
	else
		unlink(P->control_socket);
}

/* podman top and other engines read /proc inside the mount namespace of the pid they were
 * given (ours): enter the container's so they see its processes. Everything we still need on
 * the host is held by fd, and the host /proc handle keeps kill --all on host pids. */
static void enter_container_mnt(void)
{
	const struct plan_ns *mnt = plan_ns_find(P, CLONE_NEWNS);
	if (!mnt)
		return;
	const char *slash = strrchr(P->control_socket, '/');
	char dir[4096];
	if (slash && (size_t)(slash - P->control_socket) < sizeof dir) {
		memcpy(dir, P->control_socket, (size_t)(slash - P->control_socket));
		dir[slash - P->control_socket] = 0;
		state_dir = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		control_name = slash + 1;
	}
	if (host_proc < 0 || state_dir < 0 || setns(pidfd, CLONE_NEWNS) != 0) {
		/* stay where we are: everything still works but podman top */
		log_msg("warning", "stay in the host mount namespace: %s", errstr(errno));
	}
}

/* kill --all: every process in the init's pid namespace. Each is opened as a pidfd first
 * and checked after, so a reused pid can never be signalled by mistake. */
static int kill_all(int sig)
{
	struct stat self;
	if (fstatat(host_proc, "self/ns/pid", &self, 0) == 0 && self.st_ino == init_pidns.st_ino &&
	    self.st_dev == init_pidns.st_dev) {
		/* the container shares our pid namespace: "all" would be the whole host */
		log_msg("warning", "kill all: container shares the host pid namespace; signalling the init only");
		return 0;
	}
	int dfd = dup(host_proc);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || pid <= 0 || pid == init_pid)
			continue;
		int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (fd < 0)
			continue;
		if (same_pidns((pid_t)pid))
			syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
		close(fd);
	}
	closedir(d);
	return 0;
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void do_kill(struct client *c, char *args)
{
	char *sp = strchr(args, ' ');
	long sig, all;
	if (!sp)
		goto bad;
	*sp = 0;
	if (parse_int(args, 0, 64, &sig) || parse_int(sp + 1, 0, 1, &all))
		goto bad;
	if (syscall(SYS_pidfd_send_signal, pidfd, (int)sig, NULL, 0) != 0) {
		int e = errno;
		if (!(all && e == ESRCH)) {
			reply(c, "error %s\n", errstr(e));
			return;
		}
	}
	if (all)
		kill_all((int)sig);
	log_msg("info", "signal %ld sent (all=%ld)", sig, all);
	reply(c, "ok\n");
	return;
bad:
	reply(c, "error invalid kill request\n");
}

static void handle(struct client *c, char *line)
{
	if (!strcmp(line, "start"))
		do_start(c);
	else if (!strncmp(line, "kill ", 5))
		do_kill(c, line + 5);
	else if (!strcmp(line, "state"))
		reply(c, "ok %d %s\n", (int)init_pid, running ? "running" : "created");
	else if (!strcmp(line, "wait"))
		c->waiting = 1;
	else if (!strncmp(line, "resize ", 7)) {
		long rows, cols;
		char *sp = strchr(line + 7, ' ');
		if (master_fd < 0 || !sp) {
			reply(c, "error no terminal to resize\n");
			return;
		}
		*sp = 0;
		if (parse_int(line + 7, 0, 65535, &rows) || parse_int(sp + 1, 0, 65535, &cols)) {
			reply(c, "error invalid resize request\n");
			return;
		}
		console_resize(master_fd, (unsigned)rows, (unsigned)cols);
		reply(c, "ok\n");
	}
	else
		reply(c, "error unknown request\n");
}

static void drop_client(size_t i)
{
	close(clients[i].fd);
	clients[i] = clients[--n_clients];
}

static void accept_client(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    (cr.uid != 0 && cr.uid != geteuid()) || n_clients == MAX_CLIENTS) {
		close(fd);
		return;
	}
	memset(&clients[n_clients], 0, sizeof clients[0]);
	clients[n_clients++].fd = fd;
}

/* Returns 0 to keep the client, -1 to drop it. */
static int client_readable(struct client *c)
{
	char tmp[REQ_MAX];
	ssize_t r = recv(c->fd, tmp, sizeof tmp, 0);
	if (r < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	if (r == 0)
		return -1;
	if (c->waiting || c->len == SIZE_MAX)
		return 0; /* one request per connection; ignore the rest */
	for (ssize_t i = 0; i < r; i++) {
		if (tmp[i] == '\n') {
			c->buf[c->len] = 0;
			c->len = SIZE_MAX;
			handle(c, c->buf);
			return c->waiting ? 0 : -1;
		}
		if (c->len >= REQ_MAX - 1) {
			reply(c, "error request too long\n");
			return -1;
		}
		c->buf[c->len++] = tmp[i];
	}
	return 0;
}

static siginfo_t serve(void)
{
	struct pollfd pfd[5 + MAX_CLIENTS];
	for (;;) {
		pfd[0] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		/* a negative fd is ignored by poll: the relay slots are inert without a terminal */
		pfd[2] = (struct pollfd){.fd = relay_out >= 0 ? master_fd : -1, .events = POLLIN};
		pfd[3] = (struct pollfd){.fd = master_fd >= 0 ? relay_in : -1, .events = POLLIN};
		size_t n = n_clients;
		for (size_t i = 0; i < n; i++)
			pfd[4 + i] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
		pfd[4 + n] = (struct pollfd){.fd = start_pending ? err_rd : -1, .events = POLLIN};
		if (poll(pfd, 5 + n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_msg("error", "poll: %s", errstr(errno));
			sleep(1);
			continue;
		}
		/* the start's outcome first: an init that failed its execve also exits */
		if (start_pending && (pfd[4 + n].revents || pfd[1].revents)) {
			ssize_t r;
			do
				r = read(err_rd, start_msg + start_len, sizeof start_msg - 1 - start_len);
			while (r < 0 && errno == EINTR);
			if (r > 0)
				start_len += (size_t)r;
			if (r <= 0 || start_len >= sizeof start_msg - 1)
				finish_start();
			else if (pfd[1].revents)
				continue; /* more to read before the exit is handled */
		}
		if (pfd[1].revents) {
			siginfo_t si = {0};
			if (waitid((idtype_t)MOAT_P_PIDFD, (id_t)pidfd, &si, WEXITED) == 0)
				return si;
		}
		if (pfd[2].revents && console_pump(master_fd, relay_out) != 0) {
			close(relay_out); /* every pty user is gone: the container's output ended */
			relay_out = -1;
		}
		if (pfd[3].revents && console_pump(relay_in, master_fd) != 0) {
			close(relay_in); /* the caller's input ended */
			relay_in = -1;
		}
		/* walk backwards: drop_client moves the last client into the freed slot */
		for (size_t i = n; i-- > 0;)
			if (pfd[4 + i].revents && client_readable(&clients[i]) != 0)
				drop_client(i);
		if (pfd[0].revents & POLLIN)
			accept_client();
	}
}

/* Exit as the init did, so the engine's subreaper sees the same wait status. */
static _Noreturn void mirror_exit(const siginfo_t *si)
{
	int sig = si->si_status;
	/* the last output of a foreground terminal still sits in the pty */
	if (master_fd >= 0 && relay_out >= 0) {
		fcntl(master_fd, F_SETFL, O_NONBLOCK);
		while (console_pump(master_fd, relay_out) == 0) {
			struct pollfd q = {.fd = master_fd, .events = POLLIN};
			if (poll(&q, 1, 0) <= 0)
				break;
		}
	}
	for (size_t i = 0; i < n_clients; i++) {
		if (!clients[i].waiting)
			continue;
		if (si->si_code == CLD_EXITED)
			reply(&clients[i], "exited %d\n", si->si_status);
		else
			reply(&clients[i], "signaled %d\n", sig);
		close(clients[i].fd);
	}
	close(listen_fd);
	unlink_control_socket();
	if (si->si_code == CLD_EXITED) {
		log_msg("info", "container init exited with status %d", si->si_status);
		exit(si->si_status);
	}
	log_msg("info", "container init killed by signal %d", sig);
	log_close();
	struct rlimit none = {0, 0};
	setrlimit(RLIMIT_CORE, &none); /* the workload dumped already, if it was going to */
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("moat-sentry %s plan-v%d\n", MOAT_VERSION, PLAN_VERSION);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "--exec")) {
		/* moat's runtime-namespace hooks: Deno.Command cannot set argv[0], so it runs
		 * `moat-sentry --exec <path> <argv0> <args...>` with the hook's env (core/hooks/) */
		extern char **environ;
		execve(argv[2], argv + 3, environ);
		fprintf(stderr, "exec %s: %s", argv[2], errstr(errno));
		return 127;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: moat-sentry <plan-file>\n");
		return 2;
	}
	/* started as /proc/self/fd/N: give ps and engines' logs a readable name */
	prctl(PR_SET_NAME, "moat-sentry", 0, 0, 0);
	P = load_plan(argv[1]);
	int base = 3 + (int)P->preserve_fds;

	/* a client that goes away must not kill the supervisor */
	signal(SIGPIPE, SIG_IGN);
	/* own session: the caller's terminal and process group signals are not ours */
	setsid();
	if (chdir("/") != 0)
		setup_fail("chdir /: %s", errstr(errno));
	/* everything create did not explicitly pass (Deno's fds, the memfd) goes */
	fds_close_from(base);
	fill_fd_holes(base);
	if (log_open(P->log_path, base) != 0)
		setup_fail("open log %s: %s", P->log_path, errstr(errno));

	/* kill --all walks the host's /proc by this fd, before and after the sentry enters the
	 * container's mount namespace */
	host_proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (host_proc < 0)
		setup_fail("open /proc: %s", errstr(errno));
	spawn_init();
	wait_ready();

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init_pid);
	if (stat(path, &init_pidns) != 0)
		setup_fail("stat %s: %s", path, errstr(errno));
	join_init_namespaces();

	if (P->terminal) {
		master_fd = console_receive(console_sp);
		if (master_fd < 0)
			setup_fail("receive the pty master from the container init");
		close(console_sp);
		if (P->console_socket) {
			/* the engine owns the terminal from here on: keep no copy */
			if (console_send(P->console_socket, master_fd) != 0)
				setup_fail("send the pty master to console socket %s: %s",
					   P->console_socket, errstr(errno));
			close(master_fd);
			master_fd = -1;
		} else if (P->console_relay) {
			relay_in = fcntl(0, F_DUPFD_CLOEXEC, base);
			relay_out = fcntl(1, F_DUPFD_CLOEXEC, base);
			if (relay_in < 0 || relay_out < 0)
				setup_fail("keep stdio for the terminal relay: %s", errstr(errno));
		}
	}

	/* the init holds create's stdio and the preserved fds now; we keep none of them */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		setup_fail("open /dev/null: %s", errstr(errno));
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	close(null);
	if (base > 3)
		for (int fd = 3; fd < base; fd++)
			close(fd);

	listen_control();
	char line[128];
	snprintf(line, sizeof line, "ok %d %d\n", (int)getpid(), (int)init_pid);
	notify(line);
	log_msg("info", "container %s created (sentry %d, init %d)", P->container_id, (int)getpid(),
		(int)init_pid);

	siginfo_t si = serve();
	mirror_exit(&si);
}
