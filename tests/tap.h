/* tap.h: the few lines of TAP (Test Anything Protocol) our C tests print;
 * automake's tap-driver.sh reads them. */
#ifndef BNN_TAP_H
#define BNN_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

static inline void tap_plan(int n)
{
	printf("1..%d\n", n);
}

/* One test point; returns cond so callers can stop early. */
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

static inline void tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
}

static inline int tap_exit(void)
{
	return tap_failed ? 1 : 0;
}

#endif
