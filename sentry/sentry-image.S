/* The static sentry binary, embedded in libmoat so it can be written to a sealed memfd
 * and started from /proc/self/fd/N: no runtime code is ever executed from a writable path. */
	.section .rodata.moat_sentry_image, "a"
	.balign 16
	.globl moat_sentry_image
	.hidden moat_sentry_image
moat_sentry_image:
	.incbin MOAT_SENTRY_IMAGE
	.globl moat_sentry_image_end
	.hidden moat_sentry_image_end
moat_sentry_image_end:
	.byte 0
	.section .note.GNU-stack, "", @progbits
