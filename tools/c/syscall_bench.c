/* Syscall costs inside a container, for `deno task bench` (tools/bench_sandbox.ts), run beside
 * runc: each mode times N calls and prints "<mode> <ns per call>" (the median of 5 rounds).
 *   getppid N | uname N | open N (open+close of a file) | connect N PORT (loopback, to a
 *   listener the program runs itself) | sysinfo N | paced SECONDS RATE (uname at RATE per
 *   second, for the sentry's memory under load; prints nothing) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int lfd = -1;
static struct sockaddr_in to;

static void one(const char *mode)
{
	if (!strcmp(mode, "getppid")) {
		syscall(SYS_getppid);
	} else if (!strcmp(mode, "uname")) {
		struct utsname u;
		uname(&u);
	} else if (!strcmp(mode, "sysinfo")) {
		static char buf[112];
		syscall(SYS_sysinfo, buf);
	} else if (!strcmp(mode, "open")) {
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
		close(fd);
	} else if (!strcmp(mode, "connect")) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		connect(s, (struct sockaddr *)&to, sizeof to);
		close(s);
		int c = accept(lfd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *mode = argv[1];
	long n = atol(argv[2]);
	if (!strcmp(mode, "paced")) {
		long rate = argc > 3 ? atol(argv[3]) : 100;
		for (long i = 0; i < n * rate; i++) {
			one("uname");
			usleep((useconds_t)(1000000 / rate));
		}
		return 0;
	}
	if (!strcmp(mode, "connect")) {
		int port = argc > 3 ? atoi(argv[3]) : 7000;
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		int on = 1;
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
		inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
		if (bind(lfd, (struct sockaddr *)&to, sizeof to) || listen(lfd, 128)) {
			perror("listen");
			return 1;
		}
	}
	double rounds[5];
	for (int r = 0; r < 5; r++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			one(mode);
		rounds[r] = (now_ns() - t0) / (double)n;
	}
	qsort(rounds, 5, sizeof rounds[0], cmp);
	printf("%s %.1f\n", mode, rounds[2]);
	return 0;
}
