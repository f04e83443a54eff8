/* The sandbox tests' probe, run inside containers (built with musl-gcc -static by the suite):
 *
 *   sandbox_probe sysinfo          sysinfo(2) into a buffer with a canary after the kernel's
 *                                  112 bytes: "totalram=… mem_unit=… procs=… uptime=… canary=ok"
 *   sandbox_probe race A B PORT N  listens on A:PORT and B:PORT, then N connects to A while a
 *                                  second thread flips the sockaddr between A and B as fast as
 *                                  it can: "connected=… refused=… reached_b=…" (the policy denies
 *                                  B: reached_b must be 0, whatever the race)
 *   sandbox_probe connect IP PORT [nonblock]  one connect: "ok", "errno N"
 *   sandbox_probe udp IP PORT      one sendto with an address: "ok" or "errno N"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int do_sysinfo(void)
{
	/* the kernel's struct sysinfo is 112 bytes on x86_64; what follows must stay untouched */
	static unsigned char buf[112 + 64];
	memset(buf, 0xa5, sizeof buf);
	if (syscall(SYS_sysinfo, buf) != 0) {
		printf("errno %d\n", errno);
		return 1;
	}
	int64_t uptime;
	uint64_t totalram, freeram;
	uint16_t procs;
	uint32_t mem_unit;
	memcpy(&uptime, buf, 8);
	memcpy(&totalram, buf + 32, 8);
	memcpy(&freeram, buf + 40, 8);
	memcpy(&procs, buf + 80, 2);
	memcpy(&mem_unit, buf + 104, 4);
	int canary = 1;
	for (size_t i = 112; i < sizeof buf; i++)
		canary &= buf[i] == 0xa5;
	printf("totalram=%llu freeram=%llu mem_unit=%u procs=%u uptime=%lld canary=%s\n",
	       (unsigned long long)totalram, (unsigned long long)freeram, mem_unit, procs,
	       (long long)uptime, canary ? "ok" : "smashed");
	return 0;
}

static int listener(const char *ip, int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	inet_pton(AF_INET, ip, &a.sin_addr);
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 4096) != 0) {
		printf("listen %s:%d: errno %d\n", ip, port, errno);
		exit(2);
	}
	return s;
}

/* accepted connections, drained so the backlog never fills */
static int drain(int s)
{
	int n = 0;
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			return n;
		close(c);
		n++;
	}
}

static struct sockaddr_in shared;
static struct in_addr addr_a, addr_b;
static atomic_int stop;

static void *flipper(void *arg)
{
	(void)arg;
	volatile struct in_addr *p = &shared.sin_addr;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		*p = addr_b;
		*p = addr_a;
	}
	return NULL;
}

static int do_race(const char *a, const char *b, int port, int tries)
{
	int la = listener(a, port), lb = listener(b, port);
	inet_pton(AF_INET, a, &addr_a);
	inet_pton(AF_INET, b, &addr_b);
	shared = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				      .sin_addr = addr_a};
	pthread_t t;
	pthread_create(&t, NULL, flipper, NULL);
	int connected = 0, refused = 0, other = 0, reached_b = 0;
	for (int i = 0; i < tries; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&shared, sizeof shared) == 0)
			connected++;
		else if (errno == ECONNREFUSED)
			refused++;
		else
			other++;
		close(s);
		drain(la);
		reached_b += drain(lb);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	usleep(100000);
	drain(la);
	reached_b += drain(lb);
	printf("connected=%d refused=%d other=%d reached_b=%d\n", connected, refused, other, reached_b);
	return 0;
}

static int do_connect(const char *ip, int port, int nonblock)
{
	int s = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
		printf("ok\n");
	else
		printf("errno %d\n", errno);
	return 0;
}

static int do_udp(const char *ip, int port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	if (sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof a) == 1)
		printf("ok\n");
	else
		printf("errno %d\n", errno);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "sysinfo"))
		return do_sysinfo();
	if (argc == 6 && !strcmp(argv[1], "race"))
		return do_race(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "connect"))
		return do_connect(argv[2], atoi(argv[3]), argc == 5);
	if (argc == 4 && !strcmp(argv[1], "udp"))
		return do_udp(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: sandbox_probe sysinfo|race A B PORT N|connect IP PORT [nonblock]|udp IP PORT\n");
	return 2;
}
