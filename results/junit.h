/*
 * junit.h: the one JUnit XML writer, used by `export --format junit`,
 * `run --junit FILE` and `compare --junit FILE`.
 *
 * The format is the one Jenkins, GitLab and Ant read (tests/junit.xsd holds
 * what of it this writer relies on): a <testsuites> root, a <testsuite> per
 * group of cases with its tests, failures, errors (always 0) and skipped
 * counts, a <testcase> per case named "PROBLEM/KERNEL". A failing case holds
 * <failure type message>TEXT</failure>, a skipped one <skipped message/>, and
 * a passing or skipped case with a TEXT a <system-out> note. The writer
 * counts the outcomes itself, so a suite's counts always match its cases.
 */
#ifndef BNN_JUNIT_H
#define BNN_JUNIT_H

#include <stddef.h>
#include <stdio.h>

typedef enum { BNN_JUNIT_PASS, BNN_JUNIT_SKIPPED, BNN_JUNIT_FAILURE } bnn_junit_outcome_t;

/* One test case; every string may be NULL (written empty or left out). */
typedef struct {
	const char *classname;   /* written after "bnnbench.": OP, compare.OP */
	const char *problem, *kernel;
	double time_s;           /* the case's time; not finite: 0 */
	bnn_junit_outcome_t outcome;
	const char *type;        /* a failure's type: FAIL, MISTRUSTED, REGRESSED... */
	const char *message;     /* a failure's or a skip's one-line reason */
	const char *text;        /* a failure's body (the repro line); else system-out */
} bnn_junit_case_t;

/* The outcome of a stored status: PASS passes, SKIP is skipped, anything
 * else (FAIL, MISTRUSTED) fails. */
bnn_junit_outcome_t bnn_junit_of_status(const char *status);

/*
 * The document in three steps: the XML declaration and <testsuites>; one
 * <testsuite> named name with its n cases (timestamp: ISO 8601 or NULL,
 * host: NULL leaves it out); the closing tag. Write errors show in
 * ferror(f).
 */
void bnn_junit_begin(FILE *f);
void bnn_junit_suite(FILE *f, const char *name, const char *timestamp, const char *host,
		     const bnn_junit_case_t *cases, size_t n);
void bnn_junit_end(FILE *f);

/*
 * A growing list of cases that owns copies of their strings (a run keeps
 * its outcomes here while the runner's buffers are reused). Start from
 * { 0 }. bnn_junit_add returns 0, or -1 out of memory (nothing added).
 */
typedef struct {
	bnn_junit_case_t *c;
	size_t n, cap;
} bnn_junit_list_t;

int bnn_junit_add(bnn_junit_list_t *l, const bnn_junit_case_t *c);
void bnn_junit_free(bnn_junit_list_t *l);

/*
 * Whether path can be written, asked before any work so that a long run
 * does not end on an unwritable file: an existing path must be a writable
 * file, not a folder; a new one must be creatable (it is created and
 * removed again). Returns 0, or -1 with the reason in err.
 */
int bnn_junit_check_path(const char *path, char *err, size_t errlen);

/*
 * Writes the whole document, one suite (as bnn_junit_suite), to path.
 * Returns 0, or -1 with the reason in err and no file left behind.
 */
int bnn_junit_write_file(const char *path, const char *name, const char *timestamp,
			 const char *host, const bnn_junit_case_t *cases, size_t n, char *err,
			 size_t errlen);

/* The time now as ISO 8601 UTC with milliseconds, as the store writes a
 * run's start_time (buf: at least 32 bytes). */
void bnn_junit_now(char *buf, size_t len);

#endif
