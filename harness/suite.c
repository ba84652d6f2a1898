/* Suite files: reading, includes, de-duplication. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bnn_rand.h"
#include "suite.h"

#define MAX_DEPTH 8

/* FNV-1a of a canonical form (bnn_rand.h). */
static size_t hash_str(const char *t)
{
	return (size_t)bnn_fnv1a_str(BNN_FNV1A_INIT, t);
}

/*
 * The slot of s's hash index holding canonical (its problem index + 1), or
 * the empty slot where it would go. The index is open addressing, at most
 * half full, so a free slot always exists.
 */
static size_t *slot_of(const bnn_suite_t *s, const char *canonical)
{
	size_t i = hash_str(canonical) & (s->hcap - 1);
	while (s->hash[i] && strcmp(s->p[s->hash[i] - 1].canonical, canonical))
		i = (i + 1) & (s->hcap - 1);
	return &s->hash[i];
}

/* Doubles the hash index (or makes its first); -1 out of memory. */
static int rehash(bnn_suite_t *s)
{
	size_t cap = s->hcap ? 2 * s->hcap : 256, *old = s->hash, oldcap = s->hcap;
	s->hash = calloc(cap, sizeof(*s->hash));
	if (!s->hash) {
		s->hash = old;
		return -1;
	}
	s->hcap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			*slot_of(s, s->p[old[i] - 1].canonical) = old[i];
	free(old);
	return 0;
}

/* Appends p unless its canonical form is already there (a note then);
 * -1 out of memory. */
static int push(bnn_suite_t *s, const bnn_problem_t *p)
{
	if ((s->count + 1) * 2 > s->hcap && rehash(s) != 0)
		return -1;
	size_t *slot = slot_of(s, p->canonical);
	if (*slot) {
		fprintf(stderr, "bnnbench: %s: note: '%s' repeats %s; run once\n",
			p->origin, p->canonical, s->p[*slot - 1].origin);
		return 0;
	}
	if (s->count == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		bnn_problem_t *np = realloc(s->p, cap * sizeof(*np));
		if (!np)
			return -1;
		s->p = np;
		s->cap = cap;
	}
	s->p[s->count++] = *p;
	*slot = s->count;
	return 0;
}

/*
 * Whether the file st describes was read already for s: 1 when read, 2
 * when still being read (an include cycle); 0 when new, remembering it as
 * being read (*at its entry). Includes that name one file many times
 * (directly or through a diamond) then cost one read, not one per path
 * through the includes (9 files of 10 includes each were 10^8 reads).
 * -1 out of memory.
 */
static int seen_file(bnn_suite_t *s, const struct stat *st, size_t *at)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].dev == (unsigned long long)st->st_dev &&
		    s->files[i].ino == (unsigned long long)st->st_ino)
			return s->files[i].reading ? 2 : 1;
	void *nf = realloc(s->files, (s->nfiles + 1) * sizeof(*s->files));
	if (!nf)
		return -1;
	s->files = nf;
	s->files[s->nfiles].dev = (unsigned long long)st->st_dev;
	s->files[s->nfiles].ino = (unsigned long long)st->st_ino;
	s->files[s->nfiles].reading = 1;
	*at = s->nfiles++;
	return 0;
}

int bnn_suite_add_line(bnn_suite_t *s, const char *line, const char *origin, char *err,
		       size_t errlen)
{
	bnn_problem_t p;
	if (bnn_problem_parse(line, origin, &p, err, errlen) != 0)
		return -1;
	if (push(s, &p) != 0) {
		snprintf(err, errlen, "%s: out of memory", origin);
		return -1;
	}
	return 0;
}

static int load(bnn_suite_t *s, const char *name, const char *from, int depth, char *err,
		size_t errlen);

/* Parses suite text; label names it in messages ("suites/x.suite", "suite x");
 * is_file says label is the path of the file the text came from. */
static int parse_text(bnn_suite_t *s, const char *text, const char *label, int is_file,
		      int depth, char *err, size_t errlen)
{
	int lineno = 0;
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[1100], origin[300];
		lineno++;
		snprintf(origin, sizeof(origin), "%s:%d", label, lineno);
		if (len >= sizeof(line)) {
			snprintf(err, errlen, "%s: line too long", origin);
			return -1;
		}
		memcpy(line, p, len);
		line[len] = 0;
		p = eol ? eol + 1 : p + len;

		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *t = line;
		while (*t == ' ' || *t == '\t' || *t == '\r')
			t++;
		size_t tl = strlen(t);
		while (tl && (t[tl - 1] == ' ' || t[tl - 1] == '\t' || t[tl - 1] == '\r'))
			t[--tl] = 0;
		if (!*t)
			continue;
		if (strncmp(t, "include", 7) == 0 && (t[7] == ' ' || t[7] == '\t')) {
			char *arg = t + 8, rel[1100];
			struct stat st;
			while (*arg == ' ' || *arg == '\t')
				arg++;
			/* A relative path is looked up beside the including file first. */
			const char *slash = strrchr(label, '/');
			if (is_file && arg[0] != '/' && slash) {
				snprintf(rel, sizeof(rel), "%.*s/%s", (int)(slash - label), label, arg);
				if (stat(rel, &st) == 0 && S_ISREG(st.st_mode))
					arg = rel;
			}
			if (load(s, arg, origin, depth + 1, err, errlen) != 0)
				return -1;
			continue;
		}
		if (bnn_suite_add_line(s, t, origin, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static char *read_file(const char *path, char *err, size_t errlen, const char *from)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	if (!f) {
		snprintf(err, errlen, "%s%ssuite '%s': %s", from ? from : "", from ? ": " : "",
			 path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0)
		goto io;
	long n = ftell(f);
	if (n < 0 || n > (1L << 26))
		goto io;
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto io;
	buf[n] = 0;
	if (memchr(buf, 0, (size_t)n)) {
		snprintf(err, errlen, "suite '%s': not a text file (contains NUL bytes)", path);
		goto fail;
	}
	fclose(f);
	return buf;
io:
	snprintf(err, errlen, "suite '%s': cannot read it (or over 64 MiB)", path);
fail:
	free(buf);
	fclose(f);
	return NULL;
}

static int load(bnn_suite_t *s, const char *name, const char *from, int depth, char *err,
		size_t errlen)
{
	struct stat st;
	if (depth > MAX_DEPTH) {
		snprintf(err, errlen, "%s: includes nest deeper than %d (a cycle?)", from,
			 MAX_DEPTH);
		return -1;
	}
	if (stat(name, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s%ssuite '%s': %s", from ? from : "", from ? ": " : "",
			 name, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		return -1;
	}
	if (stat(name, &st) == 0) {
		size_t at = 0;
		int seen = seen_file(s, &st, &at);
		if (seen < 0) {
			snprintf(err, errlen, "suite '%s': out of memory", name);
			return -1;
		}
		if (seen == 2) {
			snprintf(err, errlen, "%s%ssuite '%s' includes itself (an include cycle)",
				 from ? from : "", from ? ": " : "", name);
			return -1;
		}
		if (seen)
			return 0;   /* its problems are in s already */
		char *text = read_file(name, err, errlen, from);
		if (!text)
			return -1;
		int rc = parse_text(s, text, name, 1, depth, err, errlen);
		free(text);
		s->files[at].reading = 0;
		return rc;
	}
	for (size_t i = 0; i < bnn_builtin_suite_count; i++)
		if (strcmp(bnn_builtin_suites[i].name, name) == 0) {
			char label[200];
			snprintf(label, sizeof(label), "suite %s", name);
			return parse_text(s, bnn_builtin_suites[i].text, label, 0, depth, err, errlen);
		}
	int n = snprintf(err, errlen, "%s%ssuite '%s': no such file, and no built-in suite of "
			 "that name (built-in:", from ? from : "", from ? ": " : "", name);
	for (size_t i = 0; i < bnn_builtin_suite_count && n > 0 && (size_t)n < errlen; i++)
		n += snprintf(err + n, errlen - (size_t)n, " %s", bnn_builtin_suites[i].name);
	if (n > 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, ")");
	return -1;
}

int bnn_suite_load(bnn_suite_t *s, const char *name, char *err, size_t errlen)
{
	return load(s, name, NULL, 0, err, errlen);
}

void bnn_suite_free(bnn_suite_t *s)
{
	free(s->p);
	free(s->hash);
	free(s->files);
	memset(s, 0, sizeof(*s));
}
