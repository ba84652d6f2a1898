/* Fuzz target: the descriptor parser and suite de-duplication, one
 * descriptor per line of the input (include lines are parsed as
 * descriptors; suite files, their includes and file reading are covered by
 * tests/suite_load.sh and the bad inputs of tests/cli.sh). */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bnn_suite_t s = { 0 };
	char line[2048], err[1024];
	size_t i = 0;
	while (i < size) {
		size_t n = 0;
		while (i < size && data[i] != '\n' && n + 1 < sizeof(line))
			line[n++] = (char)data[i++];
		line[n] = '\0';
		i++;
		if (strlen(line) == n)   /* NUL bytes end a line early: skip those */
			bnn_suite_add_line(&s, line, "fuzz:1", err, sizeof(err));
	}
	bnn_suite_free(&s);
	return 0;
}
