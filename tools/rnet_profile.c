/*
 * rnet_profile: where the time of a ReActNet-A network kernel goes, stage
 * by stage and inside each block (bnn_rnet_profile_detail): the 3x3 conv
 * with its packing and padding correction, the output transforms, the 1x1
 * convs with their packing, the stem, the pool and the FC. Synthetic
 * weights and images (the harness's generators), no check.
 *
 *   make tools/rnet_profile
 *   tools/rnet_profile [KERNEL] [THREADS] [BATCH] [RUNS]
 *
 * KERNEL defaults to reactnet_a_xor_popc__generic; prints the minimum over
 * RUNS (default 21) profiled runs after two unprofiled ones, in us. Where
 * the 3x3 conv runs by rows with transform 1 in the same loop (the AVX2
 * and AVX-512 kernels), conv3 holds both and t1 is nan.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "generic/generic.h"
#include "gen.h"
#include "reactnet.h"
#include "parallel.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "reactnet_a_xor_popc__generic";
	int threads = argc > 2 ? atoi(argv[2]) : 1, runs = argc > 4 ? atoi(argv[4]) : 21;
	bnn_rnet_shape_t r = { argc > 3 ? atoi(argv[3]) : 1, 224, 224 };
	const bnn_kernel_t *k = NULL;
	for (size_t i = 0; i < bnn_kernel_count; i++)
		if (strcmp(bnn_kernels[i].name, name) == 0)
			k = &bnn_kernels[i];
	char why[200];
	if (!k || k->op != BNN_OP_RNET || !bnn_isa_available(k->isa, why, sizeof(why)) ||
	    runs < 1) {
		fprintf(stderr, "rnet_profile: %s is no network kernel this machine runs\n", name);
		return 2;
	}
	bnn_parallel_init(threads, NULL, NULL);
	bnn_rng_t rng;
	bnn_weights_t w;
	bnn_rng_init(&rng, 20161008);
	if (bnn_rnet_weights_synth(&r, &rng, &w) != 0)
		return 1;
	size_t nimg = (size_t)(r.n * 3 * r.h * r.w);
	float *img = malloc(nimg * sizeof(float));
	float *logits = malloc((size_t)(r.n * BNN_RNET_CLASSES) * sizeof(float));
	enum { NST = BNN_RNET_BLOCKS + 2 };
	double *all = malloc((size_t)runs * NST * BNN_RNET_DETAIL * sizeof(double));
	double med[NST][BNN_RNET_DETAIL], col[1000];
	void *st = NULL;
	bnn_op_desc_t d = { .op = BNN_OP_RNET, .rnet = r };
	bnn_inputs_t in = { .a = img, .params = &w.net };
	if (!img || !logits || !all || runs > 1000)
		return 1;
	bnn_fill_uniform(&rng, img, nimg);   /* as the harness's network images */
	if (k->prepare(&d, &in, &st) != 0)
		return 1;
	for (int i = 0; i < 2; i++)
		k->run(st, logits);
	for (int i = 0; i < runs; i++)
		if (bnn_rnet_profile_detail(st, all + (size_t)i * NST * BNN_RNET_DETAIL) != NST)
			return 1;
	for (int s = 0; s < NST; s++)
		for (int p = 0; p < BNN_RNET_DETAIL; p++) {
			for (int i = 0; i < runs; i++)
				col[i] = all[((size_t)i * NST + s) * BNN_RNET_DETAIL + p] / 1e3;
			qsort(col, (size_t)runs, sizeof(double), cmp);
			med[s][p] = col[0];
		}
	double total = 0;
	for (int s = 0; s < NST; s++)
		total += med[s][BNN_RD_TOTAL];
	printf("%s, %d thread(s), batch %lld, 224x224: minimum of %d profiled runs, us\n", name,
	       threads, (long long)r.n, runs);
	printf("stage  total   share | conv3   pack3   pad3 | t1      | conv1   pack1 | t2      "
	       "| transforms share\n");
	printf("stem  %8.1f %5.1f%%\n", med[0][BNN_RD_TOTAL], 100 * med[0][BNN_RD_TOTAL] / total);
	for (int i = 1; i <= BNN_RNET_BLOCKS; i++) {
		double *m = med[i];
		printf("b%02d   %8.1f %5.1f%% | %7.1f %7.1f %6.1f | %7.1f | %7.1f %7.1f | %7.1f | "
		       "%5.1f%%\n",
		       i, m[BNN_RD_TOTAL], 100 * m[BNN_RD_TOTAL] / total, m[BNN_RD_CONV3],
		       m[BNN_RD_PACK3], m[BNN_RD_PAD3], m[BNN_RD_T1], m[BNN_RD_CONV1],
		       m[BNN_RD_PACK1], m[BNN_RD_T2],
		       100 * ((isnan(m[BNN_RD_T1]) ? 0 : m[BNN_RD_T1]) + m[BNN_RD_T2]) /
			       m[BNN_RD_TOTAL]);
	}
	printf("head  %8.1f %5.1f%% | pool %.1f fc %.1f\n", med[NST - 1][BNN_RD_TOTAL],
	       100 * med[NST - 1][BNN_RD_TOTAL] / total, med[NST - 1][BNN_RD_T1],
	       med[NST - 1][BNN_RD_T2]);
	printf("sum   %8.1f\n", total);
	k->release(st);
	bnn_weights_free(&w);
	free(img);
	free(logits);
	free(all);
	bnn_parallel_shutdown();
	return 0;
}
