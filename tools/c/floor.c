/* The kernel floor of a container start, for `deno task bench`: N times, clone a child into new
 * mount, pid, net, ipc, uts and cgroup namespaces (what moat's default spec asks for), chroot it
 * into the bundle's rootfs and exec the program there, wait for it. No runtime, no cgroup
 * directories, no mounts: what is left when everything a runtime decides is free.
 * usage: floor N ROOTFS PROGRAM  → prints the median microseconds per container */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *rootfs, *prog;
static char stack[64 * 1024] __attribute__((aligned(16)));

static int child(void *arg)
{
	(void)arg;
	if (chroot(rootfs) != 0 || chdir("/") != 0)
		_exit(126);
	char *argv[] = {(char *)prog, NULL};
	char *envp[] = {"PATH=/bin:/sbin", NULL};
	execve(prog, argv, envp);
	_exit(127);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int n = atoi(argv[1]);
	if (n < 1 || n > 100000)
		return 2;
	rootfs = argv[2];
	prog = argv[3];
	double *us = calloc((size_t)n, sizeof *us);
	if (!us)
		return 1;
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
		    CLONE_NEWCGROUP | SIGCHLD;
	for (int i = 0; i < n; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		pid_t pid = clone(child, stack + sizeof stack, flags, NULL);
		if (pid < 0) {
			perror("clone");
			return 1;
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "floor: child failed (%d)\n", st);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(us, (size_t)n, sizeof *us, cmp);
	printf("%.1f\n", us[n / 2]);
	return 0;
}
