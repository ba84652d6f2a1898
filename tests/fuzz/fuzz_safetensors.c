/* Fuzz target: the safetensors loader (--weights), on the input as a file,
 * for a batch-1 32x32 network. */
#include "fuzz.h"
#include "weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = bnn_fuzz_file(data, size, ".safetensors");
	bnn_rnet_shape_t r = { 1, 32, 32 };
	bnn_weights_t w;
	char err[1024];
	if (path && bnn_rnet_weights_load(path, &r, &w, err, sizeof(err)) == 0)
		bnn_weights_free(&w);
	return 0;
}
