/*
 * suite.h: suites are text files of descriptors, one per line. '#' starts a
 * comment, blank lines are skipped, and `include NAME` reads another suite.
 * A NAME is either a path to a file or the name of a built-in suite (the
 * files of suites/, compiled into the program so that an installed or copied
 * binary needs nothing beside it).
 */
#ifndef BNN_SUITE_H
#define BNN_SUITE_H

#include <stddef.h>
#include "desc.h"

typedef struct {
	bnn_problem_t *p;
	size_t count, cap;
	/* Private to suite.c: a hash index of the canonical forms (so that
	 * de-duplication stays linear), and the files already read. */
	size_t *hash, hcap;
	struct { unsigned long long dev, ino; int reading; } *files;
	size_t nfiles;
} bnn_suite_t;

/*
 * Reads suite `name` (a path, or a built-in name) and every suite it
 * includes, in order, into s (which must be zeroed). A problem whose
 * canonical form is already in s is dropped with a note on stderr; a file
 * included again (by any path) is read once. The whole
 * suite is validated before anything runs. Returns 0, or -1 with the reason
 * (file, line, field) in err; on failure s may hold a prefix: free it.
 */
int bnn_suite_load(bnn_suite_t *s, const char *name, char *err, size_t errlen);

/* Adds one descriptor given on the command line. */
int bnn_suite_add_line(bnn_suite_t *s, const char *line, const char *origin, char *err,
		       size_t errlen);

void bnn_suite_free(bnn_suite_t *s);

/* The built-in suites. */
typedef struct {
	const char *name;
	const char *text;
} bnn_builtin_suite_t;
extern const bnn_builtin_suite_t bnn_builtin_suites[];
extern const size_t bnn_builtin_suite_count;

#endif
