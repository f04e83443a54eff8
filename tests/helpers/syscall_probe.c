/* The seccomp tests' probe: makes the raw syscalls named on its command line, in order, and
 * prints one line per call: "<label> = <ret>" or "<label> = -1 errno <n>". Built at test time
 * with `musl-gcc -static` (tests/helpers/probe.ts) and bind-mounted into a container as /probe.
 *
 *   /probe [abi:]nr[,arg0[,arg1…]] …   abi: x64 (default), i386 (int $0x80), x32 (nr | 0x40000000)
 *   numbers in C syntax (0x… hex); the label is the argument as given. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define X32_BIT 0x40000000L

static long sys_x64(long nr, long a[6])
{
	long ret;
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The i386 ABI from a 64-bit process: int $0x80 takes ebx, ecx, edx, esi, edi, ebp. */
static long sys_i386(long nr, long a[6])
{
	long ret;
	__asm__ volatile("push %%rbp\n\tmov %7, %%rbp\n\tint $0x80\n\tpop %%rbp"
			 : "=a"(ret)
			 : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), "m"(a[5])
			 : "memory", "r8", "r9", "r10", "r11");
	return (long)(int)ret;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		char buf[256];
		snprintf(buf, sizeof buf, "%s", argv[i]);
		char *spec = buf;
		int abi = 0; /* 0 x64, 1 i386, 2 x32 */
		if (!strncmp(spec, "i386:", 5)) {
			abi = 1;
			spec += 5;
		} else if (!strncmp(spec, "x32:", 4)) {
			abi = 2;
			spec += 4;
		} else if (!strncmp(spec, "x64:", 4)) {
			spec += 4;
		}
		long v[7] = {0};
		int n = 0;
		for (char *tok = strtok(spec, ","); tok && n < 7; tok = strtok(NULL, ","))
			v[n++] = (long)strtoull(tok, NULL, 0);
		long nr = v[0], *a = v + 1, r;
		if (abi == 1)
			r = sys_i386(nr, a);
		else if (abi == 2)
			r = sys_x64(nr | X32_BIT, a);
		else
			r = sys_x64(nr, a);
		if (r < 0 && r > -4096)
			printf("%s = -1 errno %ld\n", argv[i], -r);
		else
			printf("%s = %ld\n", argv[i], r);
	}
	return 0;
}
