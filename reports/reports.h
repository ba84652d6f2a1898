/*
 * reports.h: the commands that compare and report stored runs: compare
 * (compare.c), report (report.c) and ab (ab.c), each called by the command
 * line with its own argv (argv[0] the command's name). Each parses its own
 * options (usage: its help, from cli/help.c, printed for --help and after
 * a usage error; "" for none), reads the databases through
 * results/dbtools.h and returns a BNN_DBT_* exit status (dbtools.h);
 * nothing here calls exit().
 */
#ifndef BNN_REPORTS_H
#define BNN_REPORTS_H

int bnn_cmd_compare(int argc, char **argv, const char *usage);
int bnn_cmd_report(int argc, char **argv, const char *usage);
int bnn_cmd_ab(int argc, char **argv, const char *usage);

#endif
