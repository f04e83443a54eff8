/* moat-sentry, the supervisor loop (PROTOCOL.md §2-§4). One per container (and one per exec'd
 * process): it reads the launch plan, clones the container init with CLONE_PARENT, so the init
 * is a child of whoever called `create` and the engine's subreaper reaps it and gets its exit
 * status exactly as with runc, reports to `moat create`, and then stays beside the container as
 * a sidecar: the start barrier, the terminal relay, the control socket. It never reaps the
 * workload and exits when it has exited. Static musl, single-threaded. */
#include "cgroup.h"
#include "kabi.h"
#include "log.h"
#include "pipe_msgs.h"
#include "sandbox.h"
#include "sentry.h"

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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define PLAN_FILE_MAX (64u << 20)
#define MAX_CLIENTS 64
#define REQ_MAX 256

static struct plan *P;
/* the init (or the exec'd process): a pidfd, since it is not our child and its pid could be
 * reused once its parent reaps it */
static int pidfd = -1;
static pid_t init_pid;
static pid_t intermediate_pid; /* clone_init_in_userns */
/* the host's /proc (notifications name host pids), opened before anything else */
static int host_proc = -1;
static int start_wr = -1, err_rd = -1, listen_fd = -1;
/* the control socket's directory (sockets are bound through it: util.c unix_addr) */
static int ctl_dir = -1;
static const char *ctl_name;
static int running;         /* start succeeded */
static int start_attempted; /* start was sent (successful or not) */
/* exec --detach (EXEC_RELEASE): the CLI that started us; the process execs once it has exited */
static int parent_pidfd = -1;
static int release_pending;
/* process.terminal: the socketpair the init sends the pty master over; the master while we
 * relay it (foreground run) and the caller's stdio we relay to */
static int console_sp = -1, master_fd = -1, relay_in = -1, relay_out = -1;

struct client {
	int fd;
	int waiting; /* 1: an answer comes later (start); 2: a trace stream, the sandbox owns fd */
	int passed;  /* an fd that came with the request (SCM_RIGHTS), -1: none */
	pid_t peer;  /* the connecting process (SO_PEERCRED) */
	size_t len;
	char buf[REQ_MAX];
};
static struct client clients[MAX_CLIENTS];
static size_t n_clients;

/* A start in progress: the init runs startContainer hooks and execs while we keep serving; its
 * error pipe is polled and the reply goes to this client (by fd, since clients move in the
 * array; -1: nobody waits, as after a deferred release). */
static int start_pending, start_client = -1;
static char start_msg[4100];
static size_t start_len;

/* ---- reporting ---- */

static void notify(const char *line)
{
	int fd = unix_connect(P->notify_socket);
	if (fd < 0) {
		log_msg("error", "notify socket %s: %s", P->notify_socket, errstr(errno));
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

/* The init is not our child: SIGKILL it and leave the reaping to its parent (`moat create`,
 * which learns its pid from the error report). */
static void kill_init(void)
{
	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

static void unlink_control_socket(void)
{
	if (ctl_dir >= 0 && ctl_name)
		unlinkat(ctl_dir, ctl_name, 0);
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
	snprintf(line, sizeof line, "error %d %d %s\n", (int)init_pid, (int)intermediate_pid, msg);
	notify(line);
	if (listen_fd >= 0)
		unlink_control_socket();
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

/* Idmapping needs CAP_SYS_ADMIN where the filesystem was mounted (the host), which an init in
 * its own user namespace lacks: the sentry clones and idmaps the source trees before clone3,
 * and the init only moves the finished mounts into place. */
static void prepare_idmapped_mounts(void)
{
	for (size_t i = 0; i < P->n_mounts; i++) {
		struct plan_mount *m = &P->mounts[i];
		if (!m->n_uid_maps && !m->n_gid_maps)
			continue;
		char ierr[256];
		int userns = userns_for_maps(m->uid_maps, m->n_uid_maps, m->gid_maps, m->n_gid_maps,
					     ierr, sizeof ierr);
		if (userns < 0)
			setup_fail("mount %s: %s", m->dest, ierr);
		int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source ? m->source : "",
					MOAT_OPEN_TREE_CLONE | O_CLOEXEC |
						((m->flags & 0x4000 /* MS_REC */) ? AT_RECURSIVE : 0));
		if (tree < 0)
			setup_fail("idmapped mount %s: open_tree %s: %s", m->dest, m->source, errstr(errno));
		struct moat_mount_attr attr = {.attr_set = MOAT_MOUNT_ATTR_IDMAP,
					       .userns_fd = (uint64_t)userns};
		if (syscall(SYS_mount_setattr, tree, "",
			    AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) != 0)
			setup_fail("idmapped mount %s: mount_setattr: %s", m->dest, errstr(errno));
		close(userns);
		m->idmap_tree = tree;
	}
}

/* What the sentry does for the new init before it may run anything (the init waits on the go
 * pipe): cgroups, devices moved into its network namespace, user namespace maps. */
static void place_init(int into_cgroup)
{
	char err[4200];
	/* v1 hierarchies (and a v2 leaf clone3 could not enter): the init is moved in by pid,
	 * while the sentry itself stays where its caller put it, so the container's cgroup holds
	 * exactly the container's processes (ps, pids.max, the freezer, the OOM killer) */
	if (cgroup_place(P, init_pid, into_cgroup, err, sizeof err) != 0)
		setup_fail("%s", err);
	/* linux.netDevices: moved while we are still in the host's network namespace */
	if (P->n_netdevs) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/net", (int)init_pid);
		int nfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nfd < 0)
			setup_fail("open %s: %s", path, errstr(errno));
		for (size_t i = 0; i < P->n_netdevs; i++)
			if (netdev_move(P->netdevs[i].name, P->netdevs[i].newname, nfd, err, sizeof err) != 0)
				setup_fail("%s", err);
		close(nfd);
	}
	const struct plan_ns *u = plan_ns_find(P, CLONE_NEWUSER);
	if (u && !u->path && userns_write_maps(init_pid, P, err, sizeof err) != 0)
		setup_fail("%s", err);
	/* /proc/<pid> was our init's only if it is alive still: its pid cannot have been reused */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) != 0)
		setup_fail("the container init died while it was placed: %s", errstr(errno));
}

/* The pipes between the sentry and the init (pipe_msgs.h), and the pty master's socketpair. */
struct init_pipes {
	int start[2], errp[2], go[2], csp[2];
	int cgroup; /* the cgroup2 leaf clone3 used, or -1 */
};

/* ---- the init (init.c): the clone3 child, before init_main ---- */
static _Noreturn void become_init(struct init_pipes *ip)
{
	close(ip->start[1]);
	close(ip->errp[0]);
	close(ip->go[1]);
	if (ip->csp[0] >= 0)
		close(ip->csp[0]);
	init_console_fd = ip->csp[1];
	/* the container never holds a host directory (a cwd of /proc/self/fd/N would reach it:
	 * CVE-2024-21626) nor the sentry's trace plumbing */
	if (ctl_dir >= 0)
		close(ctl_dir);
	if (host_proc >= 0)
		close(host_proc);
	/* nor the cgroup2 leaf it was cloned into, nor the state dir's log: both are host files
	 * a cwd of /proc/self/fd/N or /proc/1/fd/N would reach before execve */
	if (ip->cgroup >= 0)
		close(ip->cgroup);
	log_close();
	sandbox_close_in_child();
	/* nothing may happen before the sentry placed us (cgroups, id maps) */
	char c;
	ssize_t n;
	do
		n = read(ip->go[0], &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != MSG_GO)
		_exit(1);
	close(ip->go[0]);
	init_main(P, ip->start[0], ip->errp[1]);
}

/* clone3 of the init (into the cgroup2 leaf where the kernel can); returns as clone3 does in the
 * caller, never in the child. *in_leaf: the init was cloned into the leaf. */
static long clone_init(struct moat_clone_args *ca, struct init_pipes *ip, int *in_leaf)
{
	long r = syscall(SYS_clone3, ca, sizeof *ca);
	if (r < 0 && (ca->flags & CLONE_INTO_CGROUP) &&
	    (errno == E2BIG || errno == EINVAL || errno == EOPNOTSUPP || errno == EPERM ||
	     errno == EACCES)) {
		/* no CLONE_INTO_CGROUP here (old kernel, or not permitted from a user namespace):
		 * place_init moves the init by pid instead */
		ca->flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		ca->cgroup = 0;
		r = syscall(SYS_clone3, ca, sizeof *ca);
	}
	if (r == 0)
		become_init(ip);
	*in_leaf = r > 0 && (ca->flags & CLONE_INTO_CGROUP);
	return r;
}

/* A user namespace joined by path must own the namespaces the init gets new, or the init could
 * not even mount its /proc; namespaces the sentry's clone3 created would be the host's. So a
 * short-lived intermediate (CLONE_PARENT too: a child of create's caller, which reaps it) joins
 * the user namespace and clones the init from there, sends back the init's pidfd and exits. */
static long clone_init_in_userns(struct moat_clone_args *ca, struct init_pipes *ip, int *in_leaf,
				 const char *userns)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0)
		setup_fail("socketpair: %s", errstr(errno));
	struct moat_clone_args ia;
	memset(&ia, 0, sizeof ia);
	ia.flags = CLONE_PARENT;
	long m = syscall(SYS_clone3, &ia, sizeof ia);
	if (m < 0)
		setup_fail("clone3: %s", errstr(errno));
	if (m == 0) {
		/* ---- the intermediate ---- */
		close(sp[0]);
		char msg[4200];
		int fd = open(userns, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWUSER) != 0) {
			int n = snprintf(msg, sizeof msg, "join namespace %s: %s", userns, errstr(errno));
			send(sp[1], msg, (size_t)n, MSG_NOSIGNAL);
			_exit(1);
		}
		close(fd);
		init_userns_joined = 1;
		int leaf;
		long r = clone_init(ca, ip, &leaf);
		if (r < 0) {
			int n = snprintf(msg, sizeof msg, "clone3: %s", errstr(errno));
			send(sp[1], msg, (size_t)n, MSG_NOSIGNAL);
			_exit(1);
		}
		int n = snprintf(msg, sizeof msg, "%ld %d", r, leaf);
		_exit(fd_send(sp[1], pidfd, msg, (size_t)n) == 0 ? 0 : 1);
	}
	intermediate_pid = (pid_t)m;
	close(sp[1]);
	char msg[4200];
	int fd = fd_recv(sp[0], msg, sizeof msg, NULL);
	close(sp[0]);
	long pid;
	int leaf;
	if (fd < 0)
		setup_fail("%s", msg[0] ? msg : "the user namespace intermediate died");
	if (sscanf(msg, "%ld %d", &pid, &leaf) != 2 || pid <= 0) {
		close(fd);
		setup_fail("the user namespace intermediate sent \"%s\"", msg);
	}
	pidfd = fd;
	*in_leaf = leaf;
	return pid;
}

static void spawn_init(void)
{
	struct init_pipes ip = {.csp = {-1, -1}, .cgroup = -1};
	const struct plan_ns *pidns = plan_ns_find(P, CLONE_NEWPID);
	const struct plan_ns *userns = plan_ns_find(P, CLONE_NEWUSER);

	/* the init must be born in a joined pid namespace: setns here affects children only */
	if (pidns && pidns->path) {
		int fd = open(pidns->path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && P->exec_target_pid && !proc_is(P->exec_target_pid, P->exec_target_start))
			setup_fail("cannot exec in a stopped container");
		if (fd < 0 || setns(fd, CLONE_NEWPID) != 0)
			setup_fail("join pid namespace %s: %s", pidns->path, errstr(errno));
		close(fd);
	}
	if (pipe2(ip.start, O_CLOEXEC) != 0 || pipe2(ip.errp, O_CLOEXEC) != 0 ||
	    pipe2(ip.go, O_CLOEXEC) != 0)
		setup_fail("pipe: %s", errstr(errno));
	if (P->terminal && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ip.csp) != 0)
		setup_fail("socketpair: %s", errstr(errno));
	prepare_idmapped_mounts();

	char err[4200];
	if (overlay_prepare(P, err, sizeof err) != 0)
		setup_fail("%s", err);
	int cgfd = cgroup_v2_fd(P, err, sizeof err);
	if (cgfd == -2)
		setup_fail("%s", err);
	ip.cgroup = cgfd;
	/* a new time namespace is prepared here, offsets and all, and the init born into it
	 * without CLONE_NEWTIME (process_attrs.c) */
	if (attrs_timens(P, err, sizeof err) != 0)
		setup_fail("%s", err);

	/* CLONE_PARENT: the init's parent is our parent, the process that called create (or
	 * exec); its exit signal is then ours (SIGCHLD) and clone3 wants exit_signal 0 */
	struct moat_clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.flags = CLONE_PIDFD | CLONE_PARENT | (new_ns_flags() & ~(uint64_t)CLONE_NEWTIME);
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	if (cgfd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgfd;
	}
	int in_leaf = 0;
	long r = userns && userns->path && (new_ns_flags() & ~(uint64_t)CLONE_NEWTIME)
			 ? clone_init_in_userns(&ca, &ip, &in_leaf, userns->path)
			 : clone_init(&ca, &ip, &in_leaf);
	if (r < 0)
		setup_fail("clone3: %s", errstr(errno));
	init_pid = (pid_t)r;
	if (cgfd >= 0)
		close(cgfd);
	/* the init holds the idmapped (and overlay) trees it will move into place; we need them
	 * no longer */
	overlay_release(P);
	for (size_t i = 0; i < P->n_mounts; i++)
		if (P->mounts[i].idmap_tree >= 0) {
			close(P->mounts[i].idmap_tree);
			P->mounts[i].idmap_tree = -1;
		}
	close(ip.go[0]);
	place_init(in_leaf);
	/* the virtual files' owner: the host ids of the container's root */
	unsigned uid = 0, gid = 0;
	for (size_t i = 0; i < P->n_uid_maps; i++)
		if (P->uid_maps[i].container == 0)
			uid = (unsigned)P->uid_maps[i].host;
	for (size_t i = 0; i < P->n_gid_maps; i++)
		if (P->gid_maps[i].container == 0)
			gid = (unsigned)P->gid_maps[i].host;
	if (sandbox_placed(uid, gid, err, sizeof err) != 0)
		setup_fail("%s", err);
	if (write(ip.go[1], &(char){MSG_GO}, 1) != 1)
		setup_fail("release the init: %s", errstr(errno));
	close(ip.go[1]);
	if (ip.csp[1] >= 0)
		close(ip.csp[1]);
	console_sp = ip.csp[0];
	close(ip.start[0]);
	close(ip.errp[1]);
	start_wr = ip.start[1];
	err_rd = ip.errp[0];
}

/* `restore` (T_ATTACH): CRIU restored the container's tree with --restore-sibling, so its init
 * is already a child of the restore's caller, exactly where a cloned init would be; we only hold
 * it by pidfd and supervise it as after a start. Nothing is loaded into it: CRIU restored its
 * seccomp filters, and a container whose sandbox mediated was never checkpointed. */
static void attach_init(void)
{
	init_pid = (pid_t)P->attach_pid;
	pidfd = (int)syscall(SYS_pidfd_open, init_pid, 0);
	if (pidfd < 0)
		setup_fail("attach to the restored init %d: %s", (int)init_pid, errstr(errno));
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	/* checked after the pidfd is held: the pid cannot be recycled under us from here on */
	if (!proc_is(P->attach_pid, P->attach_start))
		setup_fail("the restored init %d is gone", (int)init_pid);
	running = 1;
	start_attempted = 1;
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

/* The sandbox filter's listener the init reported ("L<fd>\n", the L already read) is ours: an
 * exec'd process's goes to the container's sentry (ADOPT_SOCKET), so it stays mediated after
 * this exec's sentry is gone; else we serve it. Then the init may go on (MSG_ACK). */
static int take_own_listener(long remote, char *msg, size_t len)
{
	int fd;
	if (sandbox_take(pidfd, remote, &fd, msg, len) != 0)
		return -1;
	int adopted = 0;
	if (P->sandbox.adopt_socket) {
		int s = unix_connect(P->sandbox.adopt_socket);
		char reply[64] = "";
		if (s >= 0 && fd_send(s, fd, "adopt\n", 6) == 0) {
			ssize_t r = recv(s, reply, sizeof reply - 1, 0);
			reply[r > 0 ? r : 0] = 0;
			adopted = !strncmp(reply, "ok", 2);
		}
		if (s >= 0)
			close(s);
		if (adopted)
			close(fd);
		else
			log_msg("warning", "the container's sentry did not take the listener: serving it");
	}
	if (!adopted && sandbox_add_listener(fd, msg, len) != 0) {
		close(fd);
		return -1;
	}
	ssize_t w;
	do
		w = write(start_wr, &(char){MSG_ACK}, 1);
	while (w < 0 && errno == EINTR);
	if (w != 1) {
		snprintf(msg, len, "sandbox: release the init: %s", errstr(errno));
		return -1;
	}
	return 0;
}

/* "<fd>\n" after an L, byte by byte: what follows on the pipe belongs to the caller. */
static long read_listener_fd(void)
{
	char num[24];
	size_t got = 0;
	while (got < sizeof num - 1) {
		ssize_t r = read(err_rd, num + got, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (num[got] == '\n')
			break;
		got++;
	}
	num[got] = 0;
	char *end;
	long v = strtol(num, &end, 10);
	return end == num || *end || v < 0 || v > 1 << 20 ? -1 : v;
}

/* Until the init is ready (MSG_READY), doing what it asks meanwhile, and serving the sandbox
 * listener while we wait: a filter loaded before the credential change notifies the init's
 * own setup calls. */
static void wait_ready(void)
{
	char c, msg[4100];
	for (;;) {
		struct pollfd pfd[1 + 2 * 64 + 1];
		pfd[0] = (struct pollfd){.fd = err_rd, .events = POLLIN};
		size_t n = 1 + sandbox_fill(pfd + 1, sizeof pfd / sizeof pfd[0] - 1);
		if (poll(pfd, n, sandbox_timeout_ms()) < 0) {
			if (errno == EINTR)
				continue;
			setup_fail("poll: %s", errstr(errno));
		}
		sandbox_serve(pfd + 1, n - 1);
		if (!pfd[0].revents)
			continue;
		ssize_t r;
		do
			r = read(err_rd, &c, 1);
		while (r < 0 && errno == EINTR);
		if (r == 1 && c == MSG_READY)
			return;
		if (r == 1 && c == MSG_LISTENER && P->seccomp_notify && P->seccomp_early) {
			/* the init loaded seccomp before its credential change: take the listener now */
			if (seccomp_handover(P, pidfd, init_pid, err_rd, start_wr, msg, sizeof msg, 1))
				setup_fail("%s", msg);
			continue;
		}
		if (r == 1 && c == MSG_OWN_LISTENER && P->sandbox.notify) {
			long fd = read_listener_fd();
			if (fd < 0)
				setup_fail("sandbox: bad listener report from the init");
			if (take_own_listener(fd, msg, sizeof msg) != 0)
				setup_fail("%s", msg);
			continue;
		}
		if (r == 1 && c == MSG_HOOKS) {
			/* the init stopped before pivot_root for prestart/createRuntime (PROTOCOL.md §8) */
			if (hooks_sentry_pause(P, init_pid, start_wr, msg, sizeof msg) != 0)
				setup_fail("%s", msg);
			continue;
		}
		if (r == 1 && c == MSG_ERROR) {
			read_err(msg, sizeof msg);
			setup_fail("%s", msg);
		}
		/* The init died. Its parent (create) has not reaped it yet, so /proc still shows
		 * the zombie and its exit code. */
		int st = proc_exit_code((uint64_t)init_pid);
		if (st >= 0 && (st & 0x7f) == 0)
			setup_fail("container init exited with status %d before it was ready",
				   (st >> 8) & 0xff);
		if (st >= 0)
			setup_fail("container init killed by signal %d before it was ready", st & 0x7f);
		setup_fail("container init closed its error pipe before it was ready");
	}
}

static void listen_control(void)
{
	struct sockaddr_un a;
	int dirfd;
	socklen_t alen = unix_addr(P->control_socket, &a, &dirfd);
	if (!alen)
		setup_fail("control socket %s: %s", P->control_socket, errstr(errno));
	/* keep the directory: the socket is unlinked through it when we exit */
	const char *slash = strrchr(P->control_socket, '/');
	ctl_name = slash ? slash + 1 : P->control_socket;
	if (dirfd >= 0) {
		ctl_dir = dirfd;
	} else {
		char dir[4096];
		size_t dl = slash ? (size_t)(slash - P->control_socket) : 0;
		memcpy(dir, P->control_socket, dl);
		dir[dl] = 0;
		ctl_dir = open(dl ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ctl_dir < 0)
			setup_fail("control socket directory %s: %s", dir, errstr(errno));
	}
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0)
		setup_fail("control socket: %s", errstr(errno));
	struct stat st;
	if (fstatat(ctl_dir, ctl_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode))
		unlinkat(ctl_dir, ctl_name, 0); /* stale, from a sentry that died */
	/* mode 0600 from the umask: chmod would need the path again */
	mode_t old = umask(0177);
	int r = bind(listen_fd, (struct sockaddr *)&a, alen);
	umask(old);
	if (r != 0 || listen(listen_fd, 64) != 0)
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

static struct client *client_by_fd(int fd)
{
	for (size_t i = 0; fd >= 0 && i < n_clients; i++)
		if (clients[i].fd == fd)
			return &clients[i];
	return NULL;
}

/* Let the init run: MSG_START, then (with a listener loaded right before execve) the seccomp
 * handover. Returns 0, or -1 with the message in msg (4100 bytes). */
static int release_init(char *msg)
{
	start_attempted = 1;
	sandbox_started(); /* from the workload's execve on, what it does is traced */
	ssize_t w;
	do
		w = write(start_wr, &(char){MSG_START}, 1);
	while (w < 0 && errno == EINTR);
	int e = errno;
	/* on failure closing start_wr makes the waiting init exit */
	int sc = w == 1 && P->seccomp_notify && !P->seccomp_early
			 ? seccomp_handover(P, pidfd, init_pid, err_rd, start_wr, msg, 4100, 0)
			 : 0;
	/* the sandbox filter loading late still waits for its listener's ACK on this pipe */
	if (!(P->sandbox.notify && !P->sandbox.early) || w != 1 || sc != 0) {
		close(start_wr);
		start_wr = -1;
	}
	if (w != 1) {
		snprintf(msg, 4100, "start: %s", errstr(e));
		return -1;
	}
	if (sc != 0)
		return -1;
	/* the error pipe is close-on-exec: EOF with nothing written means execve succeeded;
	 * serve() polls it and calls finish_start */
	start_pending = 1;
	start_len = 0;
	return 0;
}

static void do_start(struct client *c, int after_exit)
{
	char msg[4100];
	if (start_attempted || release_pending) {
		reply(c, "error not created\n");
		return;
	}
	if (after_exit && parent_pidfd < 0) {
		/* `start after-exit` (create's plan has nothing a start could still fail on): the
		 * init execs once the `moat start` that asked has exited, as runc's exits right
		 * after releasing its init, so the engine's bookkeeping after start (containerd arms
		 * its OOM watch, stamps StartedAt) comes before the workload can end */
		parent_pidfd = (int)syscall(SYS_pidfd_open, c->peer, 0);
		if (parent_pidfd >= 0) {
			fcntl(parent_pidfd, F_SETFD, FD_CLOEXEC);
			release_pending = 1;
			reply(c, "ok\n");
			return;
		}
	}
	if (P->exec_release && parent_pidfd >= 0) {
		/* exec --detach: the process may exit within a millisecond of its execve, and a
		 * shim that has not read the pid file yet loses that exit (containerd 1.6). So the
		 * CLI writes the pid file and exits first; we release the process when it is gone.
		 * Every error a user can cause was reported before this point (the init is ready). */
		release_pending = 1;
		reply(c, "ok\n");
		return;
	}
	if (release_init(msg) != 0) {
		log_msg("error", "start: %s", msg);
		reply(c, "error %s\n", msg);
		return;
	}
	start_client = c->fd;
	c->waiting = 1;
}

/* During a start, the sandbox filter loads right before execve and reports its listener
 * first: take it (the init waits for our ACK, so no EOF can follow before). Returns 1 while a
 * report is still incomplete or was just handled (keep reading), 0 otherwise. */
static int start_own_listener(void)
{
	if (start_len == 0 || start_msg[0] != MSG_OWN_LISTENER || !P->sandbox.notify)
		return 0;
	char *nl = memchr(start_msg, '\n', start_len);
	if (!nl)
		return 1;
	*nl = 0;
	char *end, msg[4100];
	long fd = strtol(start_msg + 1, &end, 10);
	size_t used = (size_t)(nl + 1 - start_msg);
	memmove(start_msg, nl + 1, start_len - used);
	start_len -= used;
	if (end == start_msg + 1 || fd < 0 || take_own_listener(fd, msg, sizeof msg) != 0) {
		/* the init sees EOF on the start pipe and exits; finish_start reports this */
		log_msg("error", "start: %s", fd < 0 ? "sandbox: bad listener report" : msg);
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	}
	return 1;
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
	if (start_wr >= 0) {
		close(start_wr);
		start_wr = -1;
	}
	struct client none = {.fd = -1};
	struct client *c = client_by_fd(start_client);
	if (!c)
		c = &none; /* the caller went away, or nobody waits: still finish the transition */
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
		log_msg("info", "container %s started (pid %d)", P->container_id, (int)init_pid);
		reply(c, "ok\n");
		return;
	}
	const char *text = msg[0] == MSG_ERROR ? msg + 1 : msg;
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	log_msg("error", "start: %s", text);
	reply(c, "error %s\n", text);
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

/* An exec'd process's listener, from its sentry: we serve it from now on. */
static void do_adopt(struct client *c)
{
	char err[256];
	if (c->passed < 0 || !sandbox_is_listener(c->passed)) {
		reply(c, "error adopt needs a seccomp listener\n");
		return;
	}
	if (sandbox_add_listener(c->passed, err, sizeof err) != 0) {
		reply(c, "error %s\n", err);
		return;
	}
	c->passed = -1;
	reply(c, "ok\n");
}

static void handle(struct client *c, char *line)
{
	if (!strcmp(line, "start"))
		do_start(c, 0);
	else if (!strcmp(line, "start after-exit"))
		do_start(c, 1);
	else if (!strcmp(line, "adopt"))
		do_adopt(c);
	else if (!strcmp(line, "trace")) {
		/* `moat trace`: the lines follow on this connection until the container ends */
		if (sandbox_add_trace_client(c->fd) != 0) {
			reply(c, "error no trace: this container mediates nothing\n");
			return;
		}
		reply(c, "ok\n");
		c->waiting = 2;
	}
	else if (!strncmp(line, "signal ", 7)) {
		/* `moat kill` of the init: through our pidfd, so the CLI binds no libc for it */
		long sig;
		if (parse_int(line + 7, 0, 64, &sig)) {
			reply(c, "error invalid signal\n");
			return;
		}
		if (syscall(SYS_pidfd_send_signal, pidfd, (int)sig, NULL, 0) != 0) {
			reply(c, "error signal: %s\n", errstr(errno));
			return;
		}
		reply(c, "ok\n");
	} else if (!strcmp(line, "state"))
		reply(c, "ok %d %s\n", (int)init_pid, running ? "running" : "created");
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
	} else
		reply(c, "error unknown request\n");
}

static void drop_client(size_t i)
{
	if (clients[i].waiting != 2) /* a trace stream's fd belongs to the sandbox now */
		close(clients[i].fd);
	if (clients[i].passed >= 0)
		close(clients[i].passed);
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
	clients[n_clients].passed = -1;
	clients[n_clients].peer = cr.pid;
	clients[n_clients++].fd = fd;
}

/* Returns 0 to keep the client, -1 to drop it. */
static int client_readable(struct client *c)
{
	char tmp[REQ_MAX];
	size_t got;
	/* recvmsg, so an fd passed with a request (adopt) is received, not silently closed */
	errno = 0;
	int fd = fd_recv(c->fd, tmp, sizeof tmp, &got);
	ssize_t r = got ? (ssize_t)got : (errno == EAGAIN || errno == EINTR ? -1 : 0);
	if (fd >= 0) {
		if (c->passed >= 0)
			close(c->passed);
		c->passed = fd;
	}
	if (r < 0)
		return 0;
	if (r == 0)
		return -1;
	if (c->waiting || c->len == SIZE_MAX)
		return 0; /* one request per connection; ignore the rest */
	for (ssize_t i = 0; i < r; i++) {
		if (tmp[i] == '\n') {
			c->buf[c->len] = 0;
			c->len = SIZE_MAX;
			handle(c, c->buf);
			/* a trace stream leaves the client list: the sandbox writes to it */
			return c->waiting == 1 ? 0 : -1;
		}
		if (c->len >= REQ_MAX - 1) {
			reply(c, "error request too long\n");
			return -1;
		}
		c->buf[c->len++] = tmp[i];
	}
	return 0;
}

/* Poll slots of the loop, in order; the clients follow. */
enum { S_LISTEN, S_INIT, S_PTY_OUT, S_PTY_IN, S_START, S_PARENT, S_FIXED };

/* Serves until the container's process has exited. */
static void serve(void)
{
	struct pollfd pfd[S_FIXED + MAX_CLIENTS + 2 * 64 + 1];
	for (;;) {
		/* a negative fd is ignored by poll: inactive slots stay in place */
		pfd[S_LISTEN] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
		pfd[S_INIT] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		pfd[S_PTY_OUT] = (struct pollfd){.fd = relay_out >= 0 ? master_fd : -1, .events = POLLIN};
		pfd[S_PTY_IN] = (struct pollfd){.fd = master_fd >= 0 ? relay_in : -1, .events = POLLIN};
		pfd[S_START] = (struct pollfd){.fd = start_pending ? err_rd : -1, .events = POLLIN};
		pfd[S_PARENT] = (struct pollfd){.fd = release_pending ? parent_pidfd : -1, .events = POLLIN};
		size_t n = n_clients;
		for (size_t i = 0; i < n; i++)
			pfd[S_FIXED + i] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
		size_t ns = sandbox_fill(pfd + S_FIXED + n, sizeof pfd / sizeof pfd[0] - S_FIXED - n);
		if (poll(pfd, S_FIXED + n + ns, sandbox_timeout_ms()) < 0) {
			if (errno == EINTR)
				continue;
			log_msg("error", "poll: %s", errstr(errno));
			sleep(1);
			continue;
		}
		/* mediation first: the workload may be waiting in a mediated call */
		sandbox_serve(pfd + S_FIXED + n, ns);
		/* the start's outcome first: an init that failed its execve also exits */
		if (start_pending && (pfd[S_START].revents || pfd[S_INIT].revents)) {
			ssize_t r;
			do
				r = read(err_rd, start_msg + start_len, sizeof start_msg - 1 - start_len);
			while (r < 0 && errno == EINTR);
			if (r > 0)
				start_len += (size_t)r;
			if (r > 0 && start_own_listener() != 0)
				continue; /* the init waits for the listener's ACK */
			if (r <= 0 || start_len >= sizeof start_msg - 1)
				finish_start();
			else if (pfd[S_INIT].revents)
				continue; /* more to read before the exit is handled */
		}
		if (pfd[S_INIT].revents)
			return;
		if (release_pending && pfd[S_PARENT].revents) {
			char msg[4100];
			release_pending = 0;
			if (release_init(msg) != 0)
				log_msg("error", "start: %s", msg);
		}
		if (pfd[S_PTY_OUT].revents && console_pump(master_fd, relay_out) != 0) {
			close(relay_out); /* every pty user is gone: the container's output ended */
			relay_out = -1;
		}
		if (pfd[S_PTY_IN].revents && console_pump(relay_in, master_fd) != 0) {
			close(relay_in); /* the caller's input ended */
			relay_in = -1;
		}
		/* walk backwards: drop_client moves the last client into the freed slot */
		for (size_t i = n; i-- > 0;)
			if (pfd[S_FIXED + i].revents && client_readable(&clients[i]) != 0)
				drop_client(i);
		if (pfd[S_LISTEN].revents & POLLIN)
			accept_client();
	}
}

/* The container's process has exited (its parent reaps it, not us): finish and go. */
static _Noreturn void finish(void)
{
	/* the last output of a foreground terminal still sits in the pty */
	if (master_fd >= 0 && relay_out >= 0) {
		fcntl(master_fd, F_SETFL, O_NONBLOCK);
		while (console_pump(master_fd, relay_out) == 0) {
			struct pollfd q = {.fd = master_fd, .events = POLLIN};
			if (poll(&q, 1, 0) <= 0)
				break;
		}
	}
	for (size_t i = 0; i < n_clients; i++)
		close(clients[i].fd);
	close(listen_fd);
	unlink_control_socket();
	sandbox_finish();
	log_msg("info", "container %s: process %d exited", P->container_id, (int)init_pid);
	log_close();
	_exit(0);
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
	if (chdir("/") != 0)
		setup_fail("chdir /: %s", errstr(errno));
	/* everything create did not explicitly pass (Deno's fds, the memfd) goes */
	fds_close_from(base);
	fill_fd_holes(base);
	if (log_open(P->log_path, base) != 0)
		setup_fail("open log %s: %s", P->log_path, errstr(errno));
	/* the CLI that started us is alive now (it waits for our report): hold it by pidfd */
	if (P->exec_release) {
		parent_pidfd = (int)syscall(SYS_pidfd_open, getppid(), 0);
		if (parent_pidfd >= 0)
			fcntl(parent_pidfd, F_SETFD, FD_CLOEXEC);
	}
	host_proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (host_proc < 0)
		setup_fail("open /proc: %s", errstr(errno));
	{
		char err[4200];
		if (sandbox_init(P, host_proc, err, sizeof err) != 0)
			setup_fail("%s", err);
	}

	if (P->attach_pid)
		attach_init();
	else
		spawn_init();
	/* our own session: the caller's terminal and process group signals are not ours. After
	 * the clone, so that the init stays in the caller's session, as with runc (a terminal
	 * init makes its own session in console.c). */
	setsid();
	if (!P->attach_pid)
		wait_ready();
	/* uname answers carry the container's hostname: the sentry's own uts namespace is read */
	if (P->sandbox.notify && plan_ns_find(P, CLONE_NEWUTS) &&
	    setns(pidfd, CLONE_NEWUTS) != 0) /* rootless: that namespace is not ours to enter */
		log_msg("warning", "uname: the container's uts namespace: %s", errstr(errno));

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

	/* --pidfd-socket (runc): the engine gets its own handle on the process */
	if (P->pidfd_socket) {
		int s = unix_connect(P->pidfd_socket);
		if (s < 0 || fd_send(s, pidfd, "pidfd", 5) != 0)
			setup_fail("send a pidfd to %s: %s", P->pidfd_socket, errstr(errno));
		close(s);
	}

	/* the init holds create's stdio and the preserved fds now; we keep none of them, so an
	 * engine's pipe reaches EOF when the container is done with it */
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
	snprintf(line, sizeof line, "ok %d %d %d\n", (int)getpid(), (int)init_pid,
		 (int)intermediate_pid);
	notify(line);
	log_msg("info", "container %s created (sentry %d, init %d)", P->container_id, (int)getpid(),
		(int)init_pid);

	serve();
	finish();
}
