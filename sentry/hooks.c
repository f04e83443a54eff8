/* The container-side OCI hooks (runtime-spec config.md "POSIX-platform Hooks"):
 *
 * - createContainer runs in the container's namespaces before pivot_root, but its path is
 *   resolved in the runtime namespace. The init opens every createContainer binary (O_PATH)
 *   first thing after clone3, before it joins namespaces by path or mounts anything, and runs
 *   it with execveat(fd, "", AT_EMPTY_PATH): a mount the bundle makes cannot redirect it.
 * - startContainer runs in the container (path resolved there, as the container user) after
 *   `start` and before the workload's execve.
 *
 * The runtime-namespace hooks (prestart, createRuntime, poststart, poststop) run in Deno
 * (core/hooks/); for prestart/createRuntime the init pauses before pivot_root: it writes 'H'
 * on the error pipe and waits for 'C' on the start pipe, and the sentry asks `moat create`
 * over the notify socket (PROTOCOL.md §8). */
#include "kabi.h"
#include "pipe_msgs.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* each of stdout and stderr is kept up to this many bytes for the error message */
#define HOOK_OUTPUT_CAP 1400

static int g_start_rd = -1, g_err_wr = -1;
static int *g_exec_fds; /* per hook: O_PATH fd of a createContainer binary, or -1 */
static int *g_exec_errno;

static const char *kind_name(uint64_t kind)
{
	return kind == HOOK_CREATE_CONTAINER ? "createContainer" : "startContainer";
}

void hooks_init(const struct plan *p, int start_rd, int err_wr)
{
	const struct plan_attrs *a = &p->attrs;
	g_start_rd = start_rd;
	g_err_wr = err_wr;
	if (!a->n_hooks)
		return;
	g_exec_fds = calloc(a->n_hooks, sizeof *g_exec_fds);
	g_exec_errno = calloc(a->n_hooks, sizeof *g_exec_errno);
	if (!g_exec_fds || !g_exec_errno)
		init_die("hooks: out of memory");
	for (size_t i = 0; i < a->n_hooks; i++) {
		g_exec_fds[i] = -1;
		if (a->hooks[i].kind != HOOK_CREATE_CONTAINER)
			continue;
		/* a failure is reported when the hook is due, as runc reports a failed exec */
		g_exec_fds[i] = open(a->hooks[i].path, O_PATH | O_CLOEXEC);
		if (g_exec_fds[i] < 0)
			g_exec_errno[i] = errno;
	}
}

struct capture {
	int fd;
	size_t len;
	char buf[HOOK_OUTPUT_CAP + 1];
};

/* Read what is there; keep the first HOOK_OUTPUT_CAP bytes (the rest is read and dropped).
 * Returns 0 at EOF or on an error, 1 when more may come, 2 when nothing was there. */
static int capture_read(struct capture *c)
{
	char tmp[4096];
	ssize_t r = read(c->fd, tmp, sizeof tmp);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 2;
	if (r <= 0)
		return 0;
	size_t keep = HOOK_OUTPUT_CAP - c->len;
	if ((size_t)r < keep)
		keep = (size_t)r;
	memcpy(c->buf + c->len, tmp, keep);
	c->len += keep;
	return 1;
}

/* After the hook exited: what is already in the pipe, without waiting for a daemon it left
 * holding the write end. */
static void capture_drain(struct capture *c)
{
	for (int i = 0; i < 256 && capture_read(c) == 1; i++)
		;
}

static void capture_text(struct capture *c)
{
	while (c->len && (c->buf[c->len - 1] == '\n' || c->buf[c->len - 1] == ' ' ||
			  c->buf[c->len - 1] == '\r'))
		c->len--;
	c->buf[c->len] = 0;
	for (size_t i = 0; i < c->len; i++)
		if (c->buf[i] == '\n' || c->buf[i] == '\r' || c->buf[i] == 0)
			c->buf[i] = ' ';
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *signal_text(int sig, char *buf, size_t len)
{
	switch (sig) {
	case SIGKILL: return "killed";
	case SIGTERM: return "terminated";
	case SIGSEGV: return "segmentation fault";
	case SIGABRT: return "aborted";
	case SIGINT: return "interrupt";
	case SIGPIPE: return "broken pipe";
	}
	snprintf(buf, len, "signal %d", sig);
	return buf;
}

static _Noreturn void hook_fail(const struct plan_hook *h, const char *reason, struct capture *out,
				struct capture *err)
{
	capture_text(out);
	capture_text(err);
	init_die("error running %s hook #%llu (%s): %s%s%s%s%s", kind_name(h->kind),
		 (unsigned long long)h->index, h->path, reason, out->len ? ", stdout: " : "", out->buf,
		 err->len ? ", stderr: " : "", err->buf);
}

static void set_sigpipe(void *handler)
{
	struct moat_ksigaction sa = {.handler = handler};
	syscall(SYS_rt_sigaction, SIGPIPE, &sa, NULL, sizeof(uint64_t));
}

/* Fork and run one hook with the state JSON on stdin, exactly its own env and argv, its
 * stdout/stderr captured; SIGKILL when it runs past its timeout. Dies with runc's wording
 * ("error running <kind> hook #<n>: ...") on any failure. */
static void run_hook(const struct plan_hook *h, int exec_fd, int exec_errno)
{
	static struct capture out, err;
	char reason[160];
	out.len = err.len = 0;
	out.fd = err.fd = -1;
	if (h->kind == HOOK_CREATE_CONTAINER && exec_fd < 0) {
		snprintf(reason, sizeof reason, "exec %.100s: %s", h->path, errstr(exec_errno));
		hook_fail(h, reason, &out, &err);
	}

	/* the state: {"ociVersion":...,"pid":<our pid in our pid namespace>,...} */
	size_t hl = strlen(h->state_head), tl = strlen(h->state_tail);
	char *state = malloc(hl + tl + 24);
	if (!state)
		init_die("hooks: out of memory");
	int sl = snprintf(state, hl + tl + 24, "%s%d%s", h->state_head, (int)getpid(), h->state_tail);

	int in[2], o[2], e[2];
	if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
		init_die("hooks: pipe: %s", errstr(errno));
	/* a hook that does not read its stdin must not kill us with SIGPIPE */
	set_sigpipe(SIG_IGN);
	static char *const no_env[] = {NULL};
	char *const *envp = h->envp ? h->envp : no_env;
	pid_t pid = fork();
	if (pid < 0)
		init_die("hooks: fork: %s", errstr(errno));
	if (pid == 0) {
		set_sigpipe(SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0)
			_exit(126);
		if (exec_fd >= 0) {
			/* fd 3 stays open across execve: a #! script is read through /dev/fd/3 */
			if (exec_fd == 3 ? fcntl(3, F_SETFD, 0) != 0 : dup2(exec_fd, 3) != 3)
				_exit(126);
			syscall(SYS_close_range, 4, ~0U, 0);
			syscall(SYS_execveat, 3, "", h->argv, envp, AT_EMPTY_PATH);
		} else {
			syscall(SYS_close_range, 3, ~0U, 0);
			execve(h->path, h->argv, envp);
		}
		dprintf(2, "exec %s: %s", h->path, errstr(errno));
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	close(e[1]);
	out.fd = o[0];
	err.fd = e[0];
	int wfd = in[1];
	fcntl(wfd, F_SETFL, O_NONBLOCK);
	fcntl(out.fd, F_SETFL, O_NONBLOCK);
	fcntl(err.fd, F_SETFL, O_NONBLOCK);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		init_die("hooks: pidfd_open: %s", errstr(errno));

	long long deadline = h->timeout ? now_ms() + (long long)h->timeout * 1000 : 0;
	size_t written = 0;
	int out_open = 1, err_open = 1, timed_out = 0;
	for (;;) {
		struct pollfd pfd[4] = {
			{.fd = pidfd, .events = POLLIN},
			{.fd = out_open ? out.fd : -1, .events = POLLIN},
			{.fd = err_open ? err.fd : -1, .events = POLLIN},
			{.fd = wfd, .events = POLLOUT},
		};
		int wait = -1;
		if (deadline) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				timed_out = 1;
				break;
			}
			wait = left > 1000000 ? 1000000 : (int)left;
		}
		int n = poll(pfd, 4, wait);
		if (n < 0 && errno != EINTR)
			init_die("hooks: poll: %s", errstr(errno));
		if (n <= 0)
			continue;
		if (pfd[1].revents && !capture_read(&out))
			out_open = 0;
		if (pfd[2].revents && !capture_read(&err))
			err_open = 0;
		if (wfd >= 0 && pfd[3].revents) {
			ssize_t w = (pfd[3].revents & POLLOUT) ? write(wfd, state + written, (size_t)sl - written) : -1;
			if (w > 0)
				written += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == (size_t)sl) {
				close(wfd);
				wfd = -1;
			}
		}
		if (pfd[0].revents)
			break;
	}
	if (wfd >= 0)
		close(wfd);
	free(state);
	if (timed_out)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
	if (out_open)
		capture_drain(&out);
	if (err_open)
		capture_drain(&err);
	close(out.fd);
	close(err.fd);
	set_sigpipe(SIG_DFL);

	char sb[32];
	if (timed_out) {
		snprintf(reason, sizeof reason, "hook ran past specified timeout of %llu.0s",
			 (unsigned long long)h->timeout);
		hook_fail(h, reason, &out, &err);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFEXITED(status))
		snprintf(reason, sizeof reason, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(reason, sizeof reason, "signal: %s", signal_text(WTERMSIG(status), sb, sizeof sb));
	hook_fail(h, reason, &out, &err);
}

static void run_kind(const struct plan *p, uint64_t kind)
{
	const struct plan_attrs *a = &p->attrs;
	for (size_t i = 0; i < a->n_hooks; i++)
		if (a->hooks[i].kind == kind)
			run_hook(&a->hooks[i], g_exec_fds ? g_exec_fds[i] : -1,
				 g_exec_errno ? g_exec_errno[i] : ENOENT);
}

void hooks_before_pivot(const struct plan *p)
{
	if (p->attrs.hook_pause) {
		/* prestart and createRuntime run now, in moat create: wait until they are done */
		ssize_t w;
		do
			w = write(g_err_wr, &(char){MSG_HOOKS}, 1);
		while (w < 0 && errno == EINTR);
		char c = 0;
		ssize_t r;
		do
			r = read(g_start_rd, &c, 1);
		while (r < 0 && errno == EINTR);
		if (w != 1 || r != 1 || c != MSG_CONTINUE)
			_exit(1); /* create gave up (a hook failed) or the sentry is gone */
	}
	run_kind(p, HOOK_CREATE_CONTAINER);
	for (size_t i = 0; g_exec_fds && i < p->attrs.n_hooks; i++)
		if (g_exec_fds[i] >= 0) {
			close(g_exec_fds[i]);
			g_exec_fds[i] = -1;
		}
}

void hooks_start_container(const struct plan *p)
{
	run_kind(p, HOOK_START_CONTAINER);
}

/* ---- the sentry's side of the pause ---- */

int hooks_sentry_pause(const struct plan *p, pid_t init_pid, int start_wr, char *err, size_t errlen)
{
	int fd = unix_connect(p->notify_socket);
	if (fd < 0) {
		snprintf(err, errlen, "notify socket %s: %s", p->notify_socket, errstr(errno));
		return -1;
	}
	char line[96];
	int n = snprintf(line, sizeof line, "hooks %d %d\n", (int)getpid(), (int)init_pid);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		snprintf(err, errlen, "notify socket: %s", errstr(errno));
		close(fd);
		return -1;
	}
	/* the runtime hooks run as long as they run (each has its own timeout): block */
	size_t got = 0;
	char reply[32];
	while (got < sizeof reply - 1) {
		ssize_t r = recv(fd, reply + got, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || reply[got] == '\n')
			break;
		got++;
	}
	reply[got] = 0;
	close(fd);
	if (strcmp(reply, "continue") != 0) {
		snprintf(err, errlen, "create stopped while the prestart/createRuntime hooks ran");
		return -1;
	}
	ssize_t w;
	do
		w = write(start_wr, &(char){MSG_CONTINUE}, 1);
	while (w < 0 && errno == EINTR);
	if (w != 1) {
		snprintf(err, errlen, "resume the container init: %s", errstr(errno));
		return -1;
	}
	return 0;
}
