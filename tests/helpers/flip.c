/* The CVE-2021-30465 test's racing process: swaps two names of a directory (a directory and a
 * symlink) atomically, every few microseconds, until killed.   flip DIR NAME OTHER */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: flip DIR NAME OTHER\n");
		return 2;
	}
	int dir = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		perror(argv[1]);
		return 1;
	}
	for (;;) {
		if (syscall(SYS_renameat2, dir, argv[2], dir, argv[3], RENAME_EXCHANGE) != 0) {
			perror("renameat2");
			return 1;
		}
		usleep(5); /* leave the CPU to the runtime it races */
	}
}
