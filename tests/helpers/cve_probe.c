/* The CVE regression tests' probe (tests/integration/cve_test.ts), static so it runs in a busybox
 * container:
 *   cve_probe fds          every fd this process holds (what survived its execve)
 *   cve_probe exe PID      can /proc/PID/exe be written: directly, or reopened from a held fd?
 *   cve_probe scan         the executable of every process this one can see
 * One "key value" line per finding. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif

static const char *kind(mode_t m)
{
	if (S_ISDIR(m))
		return "dir";
	if (S_ISREG(m))
		return "reg";
	if (S_ISCHR(m))
		return "chr";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "sock";
	return "other";
}

static int fds(void)
{
	/* fstat every number first: listing /proc/self/fd opens one more */
	for (int fd = 0; fd < 1024; fd++) {
		struct stat st;
		if (fstat(fd, &st) != 0)
			continue;
		char path[64], link[512];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, link, sizeof link - 1);
		link[n < 0 ? 0 : n] = 0;
		printf("fd %d %s %s\n", fd, kind(st.st_mode), n < 0 ? "?" : link);
	}
	return 0;
}

static int exe(const char *pid)
{
	char path[64], link[512];
	snprintf(path, sizeof path, "/proc/%s/exe", pid);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n < 0 ? 0 : n] = 0;
	printf("link %s\n", n < 0 ? "?" : link);
	int w = open(path, O_WRONLY | O_APPEND);
	printf("direct %s\n", w < 0 ? strerror(errno) : "opened");
	if (w >= 0) {
		printf("direct-write %s\n", write(w, "", 0) == 0 && write(w, "x", 1) == 1 ? "WROTE" : strerror(errno));
		close(w);
	}
	int r = open(path, O_RDONLY);
	if (r < 0) {
		printf("open %s\n", strerror(errno));
		return 0;
	}
	printf("open ok\n");
	int seals = fcntl(r, F_GET_SEALS);
	printf("seals %s%d\n", seals < 0 ? "error " : "", seals < 0 ? errno : seals);
	/* the CVE-2019-5736 move: reopen the held file for writing through the magic link */
	snprintf(path, sizeof path, "/proc/self/fd/%d", r);
	w = open(path, O_WRONLY | O_APPEND);
	if (w < 0) {
		printf("reopen %s\n", strerror(errno));
		return 0;
	}
	printf("reopen-write %s\n", write(w, "x", 1) == 1 ? "WROTE" : strerror(errno));
	return 0;
}

static int scan(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], link[512];
		snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
		ssize_t n = readlink(path, link, sizeof link - 1);
		link[n < 0 ? 0 : n] = 0;
		printf("pid %s %s\n", e->d_name, n < 0 ? strerror(errno) : link);
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "fds"))
		return fds();
	if (argc == 3 && !strcmp(argv[1], "exe"))
		return exe(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "scan"))
		return scan();
	fprintf(stderr, "usage: cve_probe fds | exe PID | scan\n");
	return 2;
}
