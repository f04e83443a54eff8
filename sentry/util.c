/* Small helpers shared by the sentry and the init. */
#include "kabi.h"
#include "sentry.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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
