/* Small-file workload for the rootfs overlay benchmark (tools/bench_overlay.ts): in DIR (made,
 * then removed), create and write N files of 100 bytes, stat each, unlink each. Prints the time
 * of each phase and the total in microseconds: "create U\nstat U\nunlink U\ntotal U\n". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DIR N\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	int n = atoi(argv[2]);
	char path[4200], data[100];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)('a' + i % 26);
	if (mkdir(dir, 0755) != 0) {
		perror("mkdir");
		return 1;
	}
	long long t0 = now_us();
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/f%d", dir, i);
		int fd = open(path, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, data, sizeof data) != (ssize_t)sizeof data || close(fd) != 0) {
			perror(path);
			return 1;
		}
	}
	long long t1 = now_us();
	struct stat st;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/f%d", dir, i);
		if (stat(path, &st) != 0 || st.st_size != (off_t)sizeof data) {
			perror(path);
			return 1;
		}
	}
	long long t2 = now_us();
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/f%d", dir, i);
		if (unlink(path) != 0) {
			perror(path);
			return 1;
		}
	}
	long long t3 = now_us();
	if (rmdir(dir) != 0) {
		perror("rmdir");
		return 1;
	}
	printf("create %lld\nstat %lld\nunlink %lld\ntotal %lld\n", t1 - t0, t2 - t1, t3 - t2, t3 - t0);
	return 0;
}
