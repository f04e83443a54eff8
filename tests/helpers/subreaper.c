/* A stand-in for an engine's shim or conmon: it becomes a child subreaper (as they do), runs a
 * command (`moat create …`), and then reaps every process that ends up its child, printing one
 * line per exit: "cmd <status>" for the command, "exit <pid> <code>" or "signal <pid> <sig>" for
 * the others. It returns when no child is left. */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: subreaper cmd [args...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		perror("prctl");
		return 1;
	}
	pid_t cmd = fork();
	if (cmd == 0) {
		execvp(argv[1], argv + 1);
		perror("exec");
		_exit(127);
	}
	for (;;) {
		int st;
		pid_t p = wait(&st);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return 0; /* ECHILD: nothing left */
		if (p == cmd)
			printf("cmd %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		else if (WIFEXITED(st))
			printf("exit %d %d\n", (int)p, WEXITSTATUS(st));
		else
			printf("signal %d %d\n", (int)p, WTERMSIG(st));
	}
}
