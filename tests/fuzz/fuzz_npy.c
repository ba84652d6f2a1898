/* Fuzz target: the .npy reader (--input), on the input as a file. */
#include <stdlib.h>
#include "fuzz.h"
#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = bnn_fuzz_file(data, size, ".npy");
	int64_t dims[4];
	float *x = NULL;
	char err[512];
	int nd = 0;
	if (path && bnn_npy_read_f32(path, 4, &nd, dims, &x, err, sizeof(err)) == 0)
		free(x);
	return 0;
}
