/*
 * mkman: builds the documentation of the command line from cli/help.c's
 * table, the one source that `--help` prints from.
 *
 *   mkman --man TEMPLATE      the man page: TEMPLATE (doc/bnnbench.1.in)
 *                             with its @ lines filled in, to stdout
 *   mkman --markdown          the generated part of doc/commands.md
 *
 * The template's @ lines:
 *   @SYNOPSIS                 every command's usage line
 *   @OPTIONS CMD              command CMD's options as a list (.TP entries);
 *                             every command has exactly one
 *   @GLOBAL                   -h and -V (which only the commands parsed by
 *                             cli/main.c take: the help of each says)
 *   @detail CMD OPTION        the lines up to the next @ line are more text
 *                             for that option's entry, after its help
 *   @end                      ends a detail
 * and @PACKAGE_VERSION@ anywhere in a line is the version.
 * Anything that names a command or option the table does not have, a
 * command without its @OPTIONS and a detail never used are errors (exit 1),
 * so the build fails instead of the man page drifting.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "help.h"

#define MAX_LINES 4000
#define MAX_DETAILS 100

typedef struct {
	char cmd[32], opt[64];
	int first, last;   /* template lines [first, last) */
	int used;
} detail_t;

static char *lines[MAX_LINES];
static int nlines;
static detail_t details[MAX_DETAILS];
static int ndetails;
static const char *template_path;

static void die(int line, const char *msg, const char *what)
{
	fprintf(stderr, "mkman: %s:%d: %s%s%s\n", template_path, line + 1, msg,
		what ? ": " : "", what ? what : "");
	exit(1);
}

/* Text for troff: \ and - escaped, `code` in bold. */
static void troff_text(FILE *f, const char *s)
{
	int code = 0;
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '`') {
			fputs(code ? "\\fR" : "\\fB", f);
			code = !code;
		} else if (*s == '-') {
			fputs("\\-", f);
		} else if (*s == '\\') {
			fputs("\\e", f);
		} else if (*s == ',' && s[1] && s[1] != ' ') {
			fputs(",\\:", f);   /* a list without spaces may break here */
		} else {
			fputc(*s, f);
		}
	}
}

/* One word of a usage line or an argument: options bold, placeholders
 * (capitalized) italic, literal values bold. */
static void troff_word(FILE *f, const char *w, size_t n, int italic)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%.*s", (int)n, w);
	if (buf[0] == '.') {
		fputs(buf, f);
		return;
	}
	fputs(italic || isupper((unsigned char)buf[0]) ? "\\fI" : "\\fB", f);
	troff_text(f, buf);
	fputs("\\fR", f);
}

/* A usage line or argument in troff: [ ] | and spaces roman, the rest by
 * troff_word; "options" and "run options" are placeholders. */
static void troff_usage(FILE *f, const char *u)
{
	int depth = 0;
	while (*u) {
		size_t n = strcspn(u, "[]| ");
		if (!n) {
			depth += (*u == '[') - (*u == ']');
			/* A bracketed group is not broken across lines. */
			fputs(*u == ' ' && depth > 0 ? "\\~" : (char[]){ *u, 0 }, f);
			u++;
			continue;
		}
		int ro = !strncmp(u, "run options", 11);
		int italic = ro || (n == 7 && !strncmp(u, "options", 7));
		if (ro)
			n = 11;
		troff_word(f, u, n, italic);
		u += n;
	}
}

/* The next name of a names list ("-s, --suite") at *p: its length, with
 * *p moved past it and its separator; 0 at the end. */
static size_t next_name(const char **p, const char **name)
{
	size_t n = strcspn(*p, ", ");
	*name = *p;
	*p += n;
	*p += strspn(*p, ", ");
	return n;
}

/* An option's first long name ("--suite" of "-s, --suite"), or for an
 * operand its argument. */
static void key_of(const bnn_help_opt_t *o, char *buf, size_t len)
{
	const char *l = strstr(o->names, "--");
	if (!o->names[0]) {
		snprintf(buf, len, "%s", o->arg);
		return;
	}
	if (!l)
		l = o->names;
	snprintf(buf, len, "%.*s", (int)strcspn(l, ", "), l);
}

/* The .TP entry of one option: names bold, the argument after them, then
 * the help's text as a sentence and the template's detail. */
static void man_option(FILE *f, const char *cmd, const bnn_help_opt_t *o)
{
	char key[64];
	key_of(o, key, sizeof key);
	fputs(".TP\n", f);
	const char *p = o->names, *name;
	for (size_t n; (n = next_name(&p, &name)) > 0;) {
		troff_word(f, name, n, 0);
		fputs(*p ? ", " : o->arg[0] ? " " : "", f);
	}
	troff_usage(f, o->arg);
	fputc('\n', f);
	char text[2048];
	snprintf(text, sizeof text, "%s", o->text);
	text[0] = (char)toupper((unsigned char)text[0]);
	troff_text(f, text);
	fputs(text[strlen(text) - 1] == '.' ? "\n" : ".\n", f);
	for (int d = 0; d < ndetails; d++)
		if (!strcmp(details[d].cmd, cmd) && !strcmp(details[d].opt, key)) {
			for (int i = details[d].first; i < details[d].last; i++)
				fprintf(f, "%s\n", lines[i]);
			details[d].used = 1;
		}
}

/* Each command's usage as a synopsis block (.SY/.YS: continued lines
 * indented under the first argument). */
static void man_synopsis(FILE *f)
{
	for (const bnn_help_cmd_t *c = bnn_help_commands; c->name; c++) {
		int run = !strcmp(c->name, "run");
		fprintf(f, ".SY \"bnnbench%s%s\"\n", run ? "" : " ", run ? "" : c->name);
		if (run)
			fputs("[\\fBrun\\fR] ", f);
		troff_usage(f, c->usage);
		fputs("\n.YS\n", f);
	}
}

static int man(const char *path)
{
	template_path = path;
	FILE *t = fopen(path, "r");
	if (!t) {
		perror(path);
		return 1;
	}
	char buf[4096];
	while (fgets(buf, sizeof buf, t)) {
		if (nlines == MAX_LINES)
			die(nlines, "too many lines", NULL);
		buf[strcspn(buf, "\n")] = 0;
		lines[nlines++] = strdup(buf);
	}
	fclose(t);
	/* The details first, so that an @OPTIONS may come before them. */
	for (int i = 0; i < nlines; i++) {
		if (strncmp(lines[i], "@detail ", 8))
			continue;
		detail_t *d = &details[ndetails];
		if (ndetails == MAX_DETAILS ||
		    sscanf(lines[i] + 8, "%31s %63s", d->cmd, d->opt) != 2)
			die(i, "an @detail needs a command and an option", lines[i]);
		const bnn_help_cmd_t *c = bnn_help_find(d->cmd);
		int found = 0;
		for (const bnn_help_opt_t *o = c ? c->opts : NULL; o && o->names; o++) {
			char key[64];
			key_of(o, key, sizeof key);
			found |= !strcmp(key, d->opt);
		}
		if (!found)
			die(i, "no such command or option in cli/help.c", lines[i]);
		d->first = i + 1;
		for (d->last = d->first; d->last < nlines && lines[d->last][0] != '@'; d->last++)
			;
		ndetails++;
	}
	int seen[64] = { 0 }, skip = 0;
	for (int i = 0; i < nlines; i++) {
		const char *l = lines[i];
		if (l[0] != '@') {
			const char *v = strstr(l, "@PACKAGE_VERSION@");
			if (skip)
				continue;
			if (v)
				printf("%.*s%s%s\n", (int)(v - l), l, PACKAGE_VERSION, v + 17);
			else
				printf("%s\n", l);
			continue;
		}
		skip = 0;
		if (!strcmp(l, "@SYNOPSIS")) {
			man_synopsis(stdout);
		} else if (!strcmp(l, "@GLOBAL")) {
			for (const bnn_help_opt_t *o = bnn_help_global; o->names; o++)
				man_option(stdout, "", o);
			for (const bnn_help_opt_t *o = bnn_help_version; o->names; o++)
				man_option(stdout, "", o);
		} else if (!strncmp(l, "@OPTIONS ", 9)) {
			const bnn_help_cmd_t *c = bnn_help_find(l + 9);
			if (!c)
				die(i, "no such command in cli/help.c", l + 9);
			if (seen[c - bnn_help_commands]++)
				die(i, "a second @OPTIONS for", c->name);
			int nested = strcmp(c->name, "run") != 0;
			if (nested && c->opts->names)
				puts(".RS");
			for (const bnn_help_opt_t *o = c->opts; o->names; o++)
				man_option(stdout, c->name, o);
			if (nested && c->opts->names)
				puts(".RE");
		} else if (!strncmp(l, "@detail ", 8)) {
			skip = 1;
		} else if (strcmp(l, "@end")) {
			die(i, "unknown @ line", l);
		}
	}
	for (const bnn_help_cmd_t *c = bnn_help_commands; c->name; c++)
		if (!seen[c - bnn_help_commands])
			die(nlines - 1, "no @OPTIONS line for command", c->name);
	for (int d = 0; d < ndetails; d++)
		if (!details[d].used)
			die(details[d].first - 1, "a detail no option uses", details[d].opt);
	return 0;
}

/* Markdown table cell text: | escaped. */
static void md_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* One row of an option table: each name in code, the argument after the
 * last (an operand: the argument alone), then the text and note. */
static void md_option(const bnn_help_opt_t *o, const char *note)
{
	const char *p = o->names, *name;
	fputs("|", stdout);
	for (size_t n; (n = next_name(&p, &name)) > 0;) {
		printf(" `%.*s", (int)n, name);
		if (!*p && o->arg[0]) {
			putchar(' ');
			md_cell(stdout, o->arg);
		}
		fputs(*p ? "`," : "`", stdout);
	}
	if (!o->names[0]) {
		fputs(" `", stdout);
		md_cell(stdout, o->arg);
		putchar('`');
	}
	fputs(" | ", stdout);
	md_cell(stdout, o->text);
	printf("%s |\n", note);
}

static int markdown(void)
{
	puts("```");
	for (const bnn_help_cmd_t *c = bnn_help_commands; c->name; c++)
		printf("bnnbench %s%s%s\n", bnn_help_usage_name(c), c->usage[0] ? " " : "",
		       c->usage);
	puts("```");
	for (const bnn_help_cmd_t *c = bnn_help_commands; c->name; c++) {
		printf("\n### %s\n\n", c->name);
		puts(c->about);
		if (c->after)
			printf("%s\n", c->after);
		if (!c->opts->names)
			continue;
		puts("\n| option | meaning |\n|---|---|");
		for (const bnn_help_opt_t *o = c->opts; o->names; o++)
			md_option(o, "");
	}
	/* -V's note: the commands that take it. */
	char note[256] = " (";
	for (const bnn_help_cmd_t *c = bnn_help_commands; c->name; c++)
		if (c->version)
			snprintf(note + strlen(note), sizeof note - strlen(note), "%s%s",
				 note[2] ? ", " : "", c->name);
	strcat(note, ")");
	puts("\nThe commands also take:\n\n| option | meaning |\n|---|---|");
	for (const bnn_help_opt_t *o = bnn_help_global; o->names; o++)
		md_option(o, "");
	for (const bnn_help_opt_t *o = bnn_help_version; o->names; o++)
		md_option(o, note);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--man"))
		return man(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--markdown"))
		return markdown();
	fprintf(stderr, "usage: mkman --man TEMPLATE | --markdown\n");
	return 2;
}
