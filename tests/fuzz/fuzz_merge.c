/* Fuzz target: merge's reading of a foreign database: the input as the
 * source file of `bnnbench merge SRC -o DEST` into a fresh destination
 * (merge's lines on stdout are not TAP: the driver's TAP reader skips them). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "dbtools.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = bnn_fuzz_file(data, size, ".db");
	char dest[4200], side[4300];
	if (!src)
		return 0;
	snprintf(dest, sizeof(dest), "%s-dest.db", src);
	char *argv[] = { "merge", (char *)src, "-o", dest, NULL };
	bnn_cmd_merge(4, argv, "");
	unlink(dest);
	snprintf(side, sizeof(side), "%s-wal", dest);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", dest);
	unlink(side);
	snprintf(side, sizeof(side), "%s-live", dest);
	unlink(side);
	return 0;
}
