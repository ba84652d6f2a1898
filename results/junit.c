/*
 * junit.c: the JUnit XML writer (see junit.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "junit.h"

/* See junit.h. */
bnn_junit_outcome_t bnn_junit_of_status(const char *status)
{
	if (status && !strcmp(status, "PASS"))
		return BNN_JUNIT_PASS;
	if (status && !strcmp(status, "SKIP"))
		return BNN_JUNIT_SKIPPED;
	return BNN_JUNIT_FAILURE;
}

/* The length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 :
		   s[0] < 0xf5 ? 4 : 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, UTF-16 surrogates, code points past U+10FFFF or the
	 * two that XML 1.0 excludes. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90) ||
	    (s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe))   /* U+FFFE, U+FFFF */
		return 0;
	return n;
}

/*
 * s as XML 1.0 character data or attribute value: the five special
 * characters escaped; control characters (not allowed in XML 1.0) and
 * bytes that are not UTF-8 (a file name, say) written as '?'.
 */
static void xml_text(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	while (u && *u) {
		size_t n = utf8_len(u);
		switch (*u) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (n == 0 || (*u < 0x20 && *u != '\t' && *u != '\n'))
				fputc('?', f);
			else
				fwrite(u, 1, n, f);
		}
		u += n ? n : 1;
	}
}

/* See junit.h. */
void bnn_junit_begin(FILE *f)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"bnnbench\">\n", f);
}

/* See junit.h. */
void bnn_junit_end(FILE *f)
{
	fputs("</testsuites>\n", f);
}

/* See junit.h. */
void bnn_junit_suite(FILE *f, const char *name, const char *timestamp, const char *host,
		     const bnn_junit_case_t *cases, size_t n)
{
	size_t fail = 0, skip = 0;
	double total = 0;
	for (size_t i = 0; i < n; i++) {
		fail += cases[i].outcome == BNN_JUNIT_FAILURE;
		skip += cases[i].outcome == BNN_JUNIT_SKIPPED;
		total += isfinite(cases[i].time_s) ? cases[i].time_s : 0;
	}
	fputs("  <testsuite name=\"", f);
	xml_text(f, name);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.9f\"",
		n, fail, skip, total);
	if (timestamp) {
		fputs(" timestamp=\"", f);
		xml_text(f, timestamp);
		fputc('"', f);
	}
	if (host) {
		fputs(" hostname=\"", f);
		xml_text(f, host);
		fputc('"', f);
	}
	fputs(">\n", f);
	for (size_t i = 0; i < n; i++) {
		const bnn_junit_case_t *c = &cases[i];
		fputs("    <testcase classname=\"bnnbench.", f);
		xml_text(f, c->classname);
		fputs("\" name=\"", f);
		xml_text(f, c->problem);
		fputc('/', f);
		xml_text(f, c->kernel);
		fprintf(f, "\" time=\"%.9f\"", isfinite(c->time_s) && c->time_s > 0 ? c->time_s : 0.0);
		if (c->outcome == BNN_JUNIT_PASS && !c->text) {
			fputs("/>\n", f);
			continue;
		}
		fputs(">\n", f);
		if (c->outcome == BNN_JUNIT_FAILURE) {
			fputs("      <failure type=\"", f);
			xml_text(f, c->type ? c->type : "FAIL");
			fputs("\" message=\"", f);
			xml_text(f, c->message);
			fputs("\">", f);
			xml_text(f, c->text);
			fputs("</failure>\n", f);
		} else {
			if (c->outcome == BNN_JUNIT_SKIPPED) {
				fputs("      <skipped message=\"", f);
				xml_text(f, c->message);
				fputs("\"/>\n", f);
			}
			if (c->text) {
				fputs("      <system-out>", f);
				xml_text(f, c->text);
				fputs("</system-out>\n", f);
			}
		}
		fputs("    </testcase>\n", f);
	}
	fputs("  </testsuite>\n", f);
}

/* A malloc'ed copy of s (NULL stays NULL); sets *bad when out of memory. */
static const char *copy_str(const char *s, int *bad)
{
	char *d = s ? strdup(s) : NULL;
	*bad |= s && !d;
	return d;
}

/* Frees the strings of one case of a list. */
static void free_case(bnn_junit_case_t *c)
{
	free((char *)c->classname);
	free((char *)c->problem);
	free((char *)c->kernel);
	free((char *)c->type);
	free((char *)c->message);
	free((char *)c->text);
}

/* See junit.h. */
int bnn_junit_add(bnn_junit_list_t *l, const bnn_junit_case_t *c)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		bnn_junit_case_t *v = realloc(l->c, cap * sizeof(*v));
		if (!v)
			return -1;
		l->c = v;
		l->cap = cap;
	}
	int bad = 0;
	bnn_junit_case_t d = *c;
	d.classname = copy_str(c->classname, &bad);
	d.problem = copy_str(c->problem, &bad);
	d.kernel = copy_str(c->kernel, &bad);
	d.type = copy_str(c->type, &bad);
	d.message = copy_str(c->message, &bad);
	d.text = copy_str(c->text, &bad);
	if (bad) {
		free_case(&d);
		return -1;
	}
	l->c[l->n++] = d;
	return 0;
}

/* See junit.h. */
void bnn_junit_free(bnn_junit_list_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free_case(&l->c[i]);
	free(l->c);
	*l = (bnn_junit_list_t){ 0 };
}

/* See junit.h. */
int bnn_junit_check_path(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	if (!path || !*path) {
		snprintf(err, errlen, "--junit: an empty file name");
		return -1;
	}
	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "--junit %s: is a folder, not a file", path);
			return -1;
		}
		if (access(path, W_OK) != 0) {
			snprintf(err, errlen, "--junit %s: cannot be written: %s", path,
				 strerror(errno));
			return -1;
		}
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0) {
		snprintf(err, errlen, "--junit %s: cannot be created: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	unlink(path);
	return 0;
}

/* See junit.h. */
int bnn_junit_write_file(const char *path, const char *name, const char *timestamp,
			 const char *host, const bnn_junit_case_t *cases, size_t n, char *err,
			 size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "--junit %s: %s", path, strerror(errno));
		return -1;
	}
	bnn_junit_begin(f);
	bnn_junit_suite(f, name, timestamp, host, cases, n);
	bnn_junit_end(f);
	int bad = fflush(f) != 0 || ferror(f);
	int saved = errno;
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	if (bad) {
		snprintf(err, errlen, "--junit %s: writing failed: %s", path, strerror(saved));
		remove(path);
		return -1;
	}
	return 0;
}

/* See junit.h. */
void bnn_junit_now(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	time_t t = tv.tv_sec;
	gmtime_r(&t, &tm);
	char s[32];
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", s, (int)(tv.tv_usec / 1000));
}
