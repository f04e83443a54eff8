/* The sentry's mediation (PROTOCOL.md §11), as its poll loop sees it: the seccomp listeners of
 * the container's processes (the init's, and those exec'd processes' sentries hand over, so a
 * process outliving its exec stays mediated), served by notify.c; the trace, fanned out to the
 * trace file and to `moat trace` clients. Runs in the sentry only. */
#include "sandbox.h"

#include "kabi.h"
#include "log.h"
#include "notify.h"
#include "pipe_msgs.h"
#include "sentry.h"
#include "vfs_fuse.h"
#include "vproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTENERS 64
#define MAX_TRACE_CLIENTS 16

static const struct plan *P;
static int host_proc = -1;
static struct notify *listeners[MAX_LISTENERS];
static int listener_fds[MAX_LISTENERS];
static size_t n_listeners;

static struct egress_policy egress, pod_egress;
static struct egress_rule *egress_rules;
static struct notify_denial *denials;
static size_t n_denials;
/* notify.h personality_seen: the plan sets a personality, or a process called personality() */
static int personality_seen;

/* trace lines: notify.c writes them to a pipe (one atomic write each), the loop fans them out */
static struct trace trace;
static int trace_rd = -1, trace_wr = -1, trace_file = -1;
static unsigned trace_families;
static int trace_clients[MAX_TRACE_CLIENTS];
static size_t n_trace_clients;

/* the virtual views: the container's cgroup directories, the FUSE files, the load samples */
static struct vproc_view view;
static int view_ready;
static int vfs_fd = -1, vfs_mnt = -1;
static struct vfs_fuse *vfs;
/* the files the plan asks for (VIRT_FILES bits, in vfs_proc_files' order) */
static struct vfs_file vfs_files[16];
static size_t vfs_nfiles;
static int64_t next_sample_ms;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sysinfo reads a handful of cgroup files (~25 µs): a program calling it in a loop gets the
 * same answer for 50 ms, which is within what its values mean anyway */
#define SYSINFO_CACHE_MS 50
static int sysinfo_of_view(void *arg, struct moat_ksysinfo *out)
{
	static struct moat_ksysinfo cached;
	static int64_t at;
	int64_t now = now_ms();
	if (at && now - at < SYSINFO_CACHE_MS) {
		*out = cached;
		return 0;
	}
	if (vproc_sysinfo(arg, out) != 0)
		return -(errno ? errno : EIO);
	cached = *out;
	at = now;
	return 0;
}

static unsigned cpus_of_view(void *arg, uint16_t *ids, unsigned cap)
{
	return vproc_visible_cpus(arg, ids, cap);
}

/* O_PATH fds of the cgroup directories the plan names, the container's start time. */
static int view_open(const struct plan_sandbox *s, char *err, size_t errlen)
{
	if (vproc_view_init(&view) != 0) {
		snprintf(err, errlen, "sandbox: out of memory");
		return -1;
	}
	int *slot[VPROC_MAX + 1] = {
		[VPROC_MEMORY] = &view.mem_dir, [VPROC_CPU] = &view.cpu_dir,
		[VPROC_CPUACCT] = &view.cpuacct_dir, [VPROC_CPUSET] = &view.cpuset_dir,
		[VPROC_BLKIO] = &view.blkio_dir, [VPROC_PIDS] = &view.pids_dir};
	for (int k = 1; k <= VPROC_MAX; k++) {
		if (!s->vproc_dirs[k])
			continue;
		*slot[k] = open(s->vproc_dirs[k], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*slot[k] < 0) {
			snprintf(err, errlen, "sandbox: cgroup %s: %s", s->vproc_dirs[k], errstr(errno));
			return -1;
		}
	}
	view.cgroup_v2 = (int)s->vproc_v2;
	view.host_proc = host_proc;
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	view.start_boottime_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	view_ready = 1;
	return 0;
}

int sandbox_init(const struct plan *p, int proc_fd, char *err, size_t errlen)
{
	P = p;
	host_proc = proc_fd;
	const struct plan_sandbox *s = &p->sandbox;
	personality_seen = p->attrs.has_personality;
	if ((s->sysinfo || s->files) && view_open(s, err, errlen) != 0)
		return -1;
	if (s->files) {
		/* the sentry mounts the FUSE filesystem (a /dev/fuse fd of ours could not be mounted
		 * by an init in a user namespace); the init binds its files in place */
		vfs_fd = vfs_fuse_open();
		if (vfs_fd < 0) {
			snprintf(err, errlen, "sandbox: open /dev/fuse: %s", errstr(errno));
			return -1;
		}
		vfs_mnt = vfs_fuse_mount(vfs_fd, err, errlen);
		if (vfs_mnt < 0)
			return -1;
		for (size_t i = 0; i < vfs_proc_nfiles && i < 16; i++)
			if (s->files & (1u << i))
				vfs_files[vfs_nfiles++] = vfs_proc_files[i];
		init_vfs_mnt = vfs_mnt;
		init_vfs_files = vfs_files;
		init_vfs_nfiles = vfs_nfiles;
	}
	if (!s->notify)
		return 0;
	if (s->has_egress) {
		/* one array, four runs: container allow, container deny, pod allow, pod deny */
		size_t n = s->n_egress ? s->n_egress : 1, k = 0;
		egress_rules = calloc(n, sizeof *egress_rules);
		if (!egress_rules) {
			snprintf(err, errlen, "sandbox: out of memory");
			return -1;
		}
		struct egress_policy *pol[2] = {&egress, &pod_egress};
		for (int set = 0; set < 2; set++)
			for (int deny = 0; deny < 2; deny++) {
				struct egress_rule *start = &egress_rules[k];
				for (size_t i = 0; i < s->n_egress; i++) {
					const struct plan_egress_rule *r = &s->egress[i];
					if ((int)r->pod != set || (int)r->deny != deny)
						continue;
					struct egress_rule *e = &egress_rules[k++];
					e->family = (uint8_t)r->family;
					e->prefix = (uint8_t)r->prefix;
					e->port = (uint16_t)r->port;
					memcpy(e->addr, r->addr, sizeof e->addr);
				}
				size_t cnt = (size_t)(&egress_rules[k] - start);
				if (deny) {
					pol[set]->deny = start;
					pol[set]->n_deny = cnt;
				} else {
					pol[set]->allow = start;
					pol[set]->n_allow = cnt;
				}
			}
		egress.default_deny = (int)s->egress_default_deny;
		pod_egress.default_deny = (int)s->pod_egress_default_deny;
		if (s->has_pod_egress)
			egress.also = &pod_egress;
	}
	if (s->n_denials) {
		denials = calloc(s->n_denials, sizeof *denials);
		if (!denials) {
			snprintf(err, errlen, "sandbox: out of memory");
			return -1;
		}
		for (size_t i = 0; i < s->n_denials; i++)
			denials[i] = (struct notify_denial){(int)s->denials[i].nr, (int)s->denials[i].err,
							    s->denials[i].name};
		n_denials = s->n_denials;
	}
	int pp[2];
	if (pipe2(pp, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "sandbox: trace pipe: %s", errstr(errno));
		return -1;
	}
	trace_rd = pp[0];
	trace_wr = pp[1];
	/* nothing is traced before the workload runs: the init's own setup is not its activity */
	trace_families = (unsigned)s->trace;
	if (trace_init(&trace, trace_wr, host_proc, p->container_id, 0) != 0) {
		snprintf(err, errlen, "sandbox: trace: %s", errstr(errno));
		return -1;
	}
	if (s->trace_file) {
		trace_file = open(s->trace_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		if (trace_file < 0) {
			snprintf(err, errlen, "dev.moat.trace.file %s: %s", s->trace_file, errstr(errno));
			return -1;
		}
	}
	return 0;
}

int sandbox_placed(unsigned uid, unsigned gid, char *err, size_t errlen)
{
	if (vfs_mnt >= 0) {
		/* the init's binds hold the superblock now: once its mount namespace is gone,
		 * serving ends (ENODEV) */
		close(vfs_mnt);
		vfs_mnt = -1;
		vfs = vfs_fuse_new(vfs_fd, vfs_files, vfs_nfiles, &view, uid, gid);
		if (!vfs) {
			snprintf(err, errlen, "sandbox: virtual files: %s", errstr(errno));
			return -1;
		}
	}
	if (view_ready) {
		vproc_sample(&view);
		next_sample_ms = now_ms() + VPROC_SAMPLE_SECONDS * 1000;
	}
	return 0;
}

void sandbox_started(void)
{
	trace.families = trace_families;
}

int sandbox_add_listener(int fd, char *err, size_t errlen)
{
	const struct plan_sandbox *s = &P->sandbox;
	if (n_listeners == MAX_LISTENERS) {
		snprintf(err, errlen, "sandbox: more than %d listeners", MAX_LISTENERS);
		return -1;
	}
	struct notify_config cfg = {
		.listener = fd,
		.proc_fd = host_proc,
		.uname_release = s->uname_release,
		.uname_version = s->uname_version,
		.sysinfo = s->sysinfo && view_ready ? sysinfo_of_view : NULL,
		.sysinfo_arg = &view,
		.cpus = s->sysinfo && view_ready ? cpus_of_view : NULL,
		.egress = s->has_egress ? &egress : NULL,
		.trace = &trace,
		.denials = denials,
		.n_denials = n_denials,
		.personality_seen = &personality_seen,
	};
	struct notify *n = notify_open(&cfg, err, errlen);
	if (!n)
		return -1;
	listeners[n_listeners] = n;
	listener_fds[n_listeners++] = fd;
	return 0;
}

/* "L<fd>\n" from a process we cloned: take its listener with pidfd_getfd. */
int sandbox_take(int pidfd, long remote_fd, int *fd_out, char *err, size_t errlen)
{
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)remote_fd, 0);
	if (fd < 0) {
		snprintf(err, errlen, "sandbox: take the listener: %s", errstr(errno));
		return -1;
	}
	*fd_out = fd;
	return 0;
}

/* An fd that came over the control socket must be a seccomp listener, nothing else. */
int sandbox_is_listener(int fd)
{
	char path[64], link[64];
	snprintf(path, sizeof path, "self/fd/%d", fd);
	ssize_t n = readlinkat(host_proc, path, link, sizeof link - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	return !strcmp(link, "anon_inode:seccomp notify");
}

size_t sandbox_fill(struct pollfd *pfd, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < n_listeners && k + 2 <= max; i++) {
		pfd[k++] = (struct pollfd){.fd = notify_listener_fd(listeners[i]), .events = POLLIN};
		pfd[k++] = (struct pollfd){.fd = notify_pending_fd(listeners[i]), .events = POLLIN};
	}
	if (k + 2 <= max) {
		pfd[k++] = (struct pollfd){.fd = trace_rd, .events = POLLIN};
		pfd[k++] = (struct pollfd){.fd = vfs ? vfs_fuse_fd(vfs) : -1, .events = POLLIN};
	}
	return k;
}

static void drop_listener(size_t i)
{
	notify_close(listeners[i]);
	close(listener_fds[i]);
	listeners[i] = listeners[n_listeners - 1];
	listener_fds[i] = listener_fds[n_listeners - 1];
	n_listeners--;
}

static void fan_out(void)
{
	char buf[2 * TRACE_LINE_MAX]; /* a few lines a read: the loop comes back for the rest */
	for (;;) {
		ssize_t r = read(trace_rd, buf, sizeof buf);
		if (r <= 0)
			return;
		if (trace_file >= 0)
			write_all(trace_file, buf, (size_t)r);
		for (size_t i = n_trace_clients; i-- > 0;) {
			/* a client that cannot keep up loses lines; one that is gone is dropped */
			ssize_t w = send(trace_clients[i], buf, (size_t)r, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno != EAGAIN) {
				close(trace_clients[i]);
				trace_clients[i] = trace_clients[--n_trace_clients];
			}
		}
	}
}

void sandbox_serve(const struct pollfd *pfd, size_t n)
{
	/* the slots are in sandbox_fill's order; listeners dropped here shift the rest, so go
	 * backwards */
	size_t pairs = n_listeners;
	if (n < pairs * 2)
		pairs = n / 2;
	for (size_t i = pairs; i-- > 0;) {
		short rev = pfd[2 * i].revents;
		/* held calls finish on their own readiness or deadline: serve on any wake-up */
		int r = notify_serve(listeners[i], rev);
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
			if (r < 0)
				log_msg("warning", "seccomp listener: %s", errstr(errno));
			drop_listener(i);
		}
	}
	if (pairs * 2 + 2 <= n) {
		if (trace_rd >= 0 && pfd[pairs * 2].revents)
			fan_out();
		if (vfs && pfd[pairs * 2 + 1].revents && vfs_fuse_serve_one(vfs) != 0 &&
		    errno != EAGAIN && errno != EINTR) {
			if (errno != ENODEV) /* ENODEV: the container's mount namespace is gone */
				log_msg("warning", "virtual files: %s", errstr(errno));
			vfs_fuse_free(vfs);
			vfs = NULL;
		}
	}
	if (view_ready && next_sample_ms && now_ms() >= next_sample_ms) {
		vproc_sample(&view);
		next_sample_ms = now_ms() + VPROC_SAMPLE_SECONDS * 1000;
	}
}

int sandbox_timeout_ms(void)
{
	int t = -1;
	if (view_ready && next_sample_ms) {
		int64_t left = next_sample_ms - now_ms();
		t = left < 0 ? 0 : (int)left;
	}
	for (size_t i = 0; i < n_listeners; i++) {
		int x = notify_timeout_ms(listeners[i]);
		if (x >= 0 && (t < 0 || x < t))
			t = x;
	}
	return t;
}

int sandbox_add_trace_client(int fd)
{
	if (!P->sandbox.notify || n_trace_clients == MAX_TRACE_CLIENTS)
		return -1;
	trace_clients[n_trace_clients++] = fd;
	return 0;
}

void sandbox_finish(void)
{
	fan_out();
	for (size_t i = 0; i < n_trace_clients; i++)
		close(trace_clients[i]);
	n_trace_clients = 0;
	while (n_listeners)
		drop_listener(n_listeners - 1);
	if (trace_file >= 0)
		close(trace_file);
}

void sandbox_close_in_child(void)
{
	/* the FUSE device fd stays with the sentry alone; the detached mount goes to mounts.c */
	if (vfs_fd >= 0)
		close(vfs_fd);
	/* host cgroup directories: never the container's (CVE-2024-21626) */
	if (view_ready) {
		int dirs[] = {view.mem_dir, view.cpu_dir, view.cpuacct_dir, view.cpuset_dir,
			      view.blkio_dir, view.pids_dir};
		for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
			if (dirs[i] >= 0)
				close(dirs[i]);
		vproc_view_release(&view);
	}
	if (trace_rd >= 0)
		close(trace_rd);
	if (trace_wr >= 0)
		close(trace_wr);
	if (trace_file >= 0)
		close(trace_file);
	for (size_t i = 0; i < n_listeners; i++)
		close(listener_fds[i]);
}
