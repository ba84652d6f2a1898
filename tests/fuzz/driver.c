/*
 * driver.c: runs a fuzz target over files (no libFuzzer needed): every
 * argument is one input; a directory's regular files are inputs too. Exit
 * status 0 when every input ran (a crash or a sanitizer ends the process
 * before), 1 when an input could not be read. Also the scratch file of
 * fuzz.h, shared with the libFuzzer build.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"

/* See fuzz.h. The file lives in $TMPDIR (or /tmp), removed at exit. */
static char scratch[4096];

static void remove_scratch(void)
{
	if (scratch[0])
		unlink(scratch);
}

const char *bnn_fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
	if (!scratch[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(scratch, sizeof(scratch), "%s/bnnfuzz-%ld%s", tmp && *tmp ? tmp : "/tmp",
			 (long)getpid(), suffix);
		atexit(remove_scratch);
	}
	FILE *f = fopen(scratch, "wb");
	if (!f)
		return NULL;
	int ok = fwrite(data, 1, size, f) == size;
	ok = fclose(f) == 0 && ok;
	return ok ? scratch : NULL;
}

#ifndef BNN_FUZZ_LIBFUZZER
/* Runs the target on the file at path; -1 when it cannot be read. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	int rc = -1;
	if (!f)
		goto out;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (!buf || (n && fread(buf, 1, (size_t)n, f) != (size_t)n))
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	rc = 0;
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

/* Appends path, or the regular files of directory path, to *list. */
static int collect(const char *path, char ***list, int *n)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		if (!d)
			return -1;
		while ((e = readdir(d))) {
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
			if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && collect(p, list, n) != 0) {
				closedir(d);
				return -1;
			}
		}
		closedir(d);
		return 0;
	}
	char **l = realloc(*list, (size_t)(*n + 1) * sizeof(*l));
	if (!l || !(l[*n] = strdup(path)))
		return -1;
	*list = l;
	(*n)++;
	return 0;
}

/*
 * Runs every input and prints TAP, one line per input. Without arguments
 * (make check) the inputs are the corpus of the program's name:
 * tests/fuzz/corpus/NAME of the build tree, else of $srcdir. A crash ends the process: the TAP driver
 * reports the missing lines and the signal.
 */
int main(int argc, char **argv)
{
	char **list = NULL, dir[4096];
	int n = 0, bad = 0;
	if (argc < 2) {
		const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
		const char *src = getenv("srcdir");
		if (!strncmp(name, "lt-", 3))
			name += 3;
		/* The build tree's corpus first (merge's is written there at
		 * check time), then the source tree's. */
		snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", name);
		if (access(dir, R_OK) != 0)
			snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src && *src ? src : ".",
				 name);
		if (collect(dir, &list, &n) != 0 || n == 0) {
			printf("1..0 # SKIP no corpus at %s\n", dir);
			return 0;
		}
	}
	for (int i = 1; i < argc; i++)
		if (collect(argv[i], &list, &n) != 0) {
			fprintf(stderr, "fuzz driver: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
	printf("1..%d\n", n);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		int rc = run_file(list[i]);
		bad |= rc != 0;
		printf("%s %d - %s\n", rc ? "not ok" : "ok", i + 1, list[i]);
		fflush(stdout);
		free(list[i]);
	}
	free(list);
	return bad;
}
#endif
