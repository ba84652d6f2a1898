/* Suite files: reading, includes, de-duplication. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "suite.h"

#define MAX_DEPTH 8

static int push(bnn_suite_t *s, const bnn_problem_t *p)
{
	for (size_t i = 0; i < s->count; i++)
		if (strcmp(s->p[i].canonical, p->canonical) == 0) {
			fprintf(stderr, "bnnbench: %s: note: '%s' repeats %s; run once\n",
				p->origin, p->canonical, s->p[i].origin);
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
	if (stat(name, &st) == 0 && S_ISREG(st.st_mode)) {
		char *text = read_file(name, err, errlen, from);
		if (!text)
			return -1;
		int rc = parse_text(s, text, name, 1, depth, err, errlen);
		free(text);
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
	memset(s, 0, sizeof(*s));
}
