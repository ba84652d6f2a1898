/*
 * The one source of the command line's documentation: every command's
 * usage, summary and options. `bnnbench COMMAND --help` prints from it
 * (bnn_help_print), and cli/mkman builds the man page's synopsis and option
 * lists and doc/commands.md's generated part from it, so that the three
 * cannot drift apart.
 */
#ifndef BNN_HELP_H
#define BNN_HELP_H

#include <stdio.h>
#include "dbtools.h"

/* The input seed when --seed is not given: fixed, so that runs compare. */
#define BNN_DEFAULT_SEED 20161008
#define BNN_HELP_STR_(x) #x
#define BNN_HELP_STR(x) BNN_HELP_STR_(x)
#define BNN_DEFAULT_SEED_TEXT BNN_HELP_STR(BNN_DEFAULT_SEED)

/* One option, or one operand when names is "" (arg then names it). */
typedef struct {
	const char *names;  /* "-s, --suite", "--bind, --no-bind", or "" */
	const char *arg;    /* "NAME|PATH", or "" when it takes none */
	const char *text;   /* one line of help; the printer wraps it */
} bnn_help_opt_t;

typedef struct {
	const char *name;          /* "run", "compare", ... */
	const char *usage;         /* what follows "bnnbench NAME " */
	const char *about;         /* one paragraph: what the command does */
	const bnn_help_opt_t *opts;  /* ended by an entry with names NULL */
	const char *after;         /* a paragraph after the options, or NULL */
	int version;               /* whether it also takes -V (bnn_help_version) */
} bnn_help_cmd_t;

/* The commands, in the order the usage lists them; ended by name NULL. */
extern const bnn_help_cmd_t bnn_help_commands[];
/* -h, which every command takes, and -V, which those parsed by
 * cli/main.c (run, probe, list, selftest, show, info) take. */
extern const bnn_help_opt_t bnn_help_global[];
extern const bnn_help_opt_t bnn_help_version[];
/* The lines after the whole usage: operations, exit statuses. */
extern const char bnn_help_tail[];

/* The command named name, or NULL. */
const bnn_help_cmd_t *bnn_help_find(const char *name);

/* The name a usage line gives c: "[run]" for run, the default command. */
const char *bnn_help_usage_name(const bnn_help_cmd_t *c);

/* Prints command c's help (usage, summary, options) to f. */
void bnn_help_print(FILE *f, const bnn_help_cmd_t *c);

/* Prints `bnnbench --help`: every command's usage, then run's help. */
void bnn_help_print_all(FILE *f);

/* Prints text to f wrapped at width columns, the first line after first
 * columns already used and the others indented by indent spaces. */
void bnn_help_wrap(FILE *f, const char *text, int first, int indent, int width);

#endif
