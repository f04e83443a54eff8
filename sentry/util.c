/* Small helpers shared by the sentry and the init. */
#include "kabi.h"
#include "sentry.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* Error texts follow Go's syscall.Errno strings (lower-case first letter), because engines
 * and their tests match runc's messages, e.g. "no such file or directory". */
const char *errstr(int e)
{
	static char buf[128];
	const char *s = strerror(e);
	size_t n = strlen(s);
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (n > 1 && isupper((unsigned char)buf[0]) && !isupper((unsigned char)buf[1]))
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

/* Fallback for kernels without close_range: walk /proc/self/fd. */
static int fds_walk(int from, int cloexec)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int self = dirfd(d);
	struct dirent *e;
	int *list = NULL;
	size_t n = 0, cap = 0;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || fd < from || fd == self)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			int *nl = realloc(list, cap * sizeof *list);
			if (!nl)
				break;
			list = nl;
		}
		list[n++] = (int)fd;
	}
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		if (cloexec)
			fcntl(list[i], F_SETFD, FD_CLOEXEC);
		else
			close(list[i]);
	}
	free(list);
	return 0;
}

int fds_close_from(int from)
{
	if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0)
		return 0;
	return fds_walk(from, 0);
}

int fds_cloexec_from(int from)
{
	if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	return fds_walk(from, 1);
}

void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

int fd_on_procfs(int fd)
{
	struct statfs s;
	return fstatfs(fd, &s) == 0 && s.f_type == MOAT_PROC_SUPER_MAGIC;
}

/* Writes meant for procfs (oom_score_adj, sysctls, id maps) must not land in a file a
 * container put at that path: a bind or volume over /proc (CVE-2019-19921, CVE-2025-52881). */
int proc_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && !fd_on_procfs(fd)) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/* 1 if /proc/<pid> is the process that started at `start` (clock ticks since boot), else 0. */
int proc_is(uint64_t pid, uint64_t start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%llu/stat", (unsigned long long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* the command name may hold spaces and parentheses: fields start after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 3; field < 22 && p; field++) /* p is at the space before field 3 */
		p = strchr(p + 1, ' ');
	return p && strtoull(p + 1, NULL, 10) == start;
}

/* The wait status of a zombie /proc/<pid> (field 52 of stat), or -1 if it is not a zombie. */
int proc_exit_code(uint64_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%llu/stat", (unsigned long long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'Z')
		return -1;
	p++;
	for (int field = 3; field < 52 && p; field++) /* p is at the space before field 3 */
		p = strchr(p + 1, ' ');
	return p ? (int)strtol(p + 1, NULL, 10) : -1;
}

/* A unix socket address for a path of any length. sun_path holds 108 bytes and an engine's
 * state directory alone can fill it (Docker: /var/run/docker/runtime-runc/moby/<64 hex>/),
 * so a path that does not fit is reached through an O_PATH fd of its directory:
 * /proc/self/fd/N/<name>. *dirfd is that fd (the caller closes it after bind/connect) or -1. */
socklen_t unix_addr(const char *path, struct sockaddr_un *a, int *dirfd)
{
	size_t len = strlen(path);
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	*dirfd = -1;
	if (len < sizeof a->sun_path) {
		memcpy(a->sun_path, path, len + 1);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path || strlen(slash + 1) + 32 >= sizeof a->sun_path) {
		errno = ENAMETOOLONG;
		return 0;
	}
	char dir[4096];
	size_t dl = (size_t)(slash - path);
	if (dl >= sizeof dir) {
		errno = ENAMETOOLONG;
		return 0;
	}
	memcpy(dir, path, dl);
	dir[dl] = 0;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int n = snprintf(a->sun_path, sizeof a->sun_path, "/proc/self/fd/%d/%s", fd, slash + 1);
	*dirfd = fd;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
}

int unix_connect(const char *path)
{
	struct sockaddr_un a;
	int dirfd;
	socklen_t len = unix_addr(path, &a, &dirfd);
	if (!len)
		return -1;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = s < 0 ? -1 : connect(s, (struct sockaddr *)&a, len);
	int e = errno;
	if (dirfd >= 0)
		close(dirfd);
	if (r != 0) {
		if (s >= 0)
			close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* One message with one fd in SCM_RIGHTS (go-runc and conmon take exactly one). */
int fd_send(int sock, int fd, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	ssize_t r;
	do
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

/* Receives one message; returns its fd (close-on-exec) or -1 (none, or an error). The data, up
 * to cap - 1 bytes, is NUL-terminated in buf; *got is its length (if got is given). */
int fd_recv(int sock, char *buf, size_t cap, size_t *got)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = cap - 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf};
	ssize_t r;
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	buf[r > 0 ? r : 0] = 0;
	if (got)
		*got = r > 0 ? (size_t)r : 0;
	if (r <= 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

/* Copies everything from in to out (EINTR and short writes retried); 0 or -1 with errno. */
int copy_fd(int in, int out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			off += w;
		}
	}
}
