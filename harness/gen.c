/* Seeded input data (gen.h), from the project's generator and hash
 * (bnn_rand.h). */
#include <float.h>
#include "bnn_rand.h"
#include "gen.h"

uint64_t bnn_problem_seed(uint64_t run_seed, const char *canonical)
{
	return run_seed ^ bnn_fnv1a_str(BNN_FNV1A_INIT, canonical);
}

uint64_t bnn_hash_bytes(const void *p, size_t n)
{
	return bnn_fnv1a(BNN_FNV1A_INIT, p, n);
}

void bnn_round_order(uint64_t seed, int round, size_t n, size_t *perm)
{
	bnn_rng_t r;
	/* A stream of its own: the inputs' stream of the same seed is not reused. */
	bnn_rng_init(&r, seed ^ 0x726f756e64ull ^ ((uint64_t)round * 0x9e3779b97f4a7c15ull));
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(bnn_rng_next(&r) % i);
		size_t t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
}

void bnn_rng_init(bnn_rng_t *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t bnn_rng_next(bnn_rng_t *r)
{
	return bnn_splitmix64(&r->s);
}

/* The 24 high bits of a draw v as a float uniform in [-1, 1), multiples of 2^-23. */
static float uniform24(uint64_t v)
{
	return (float)((int64_t)(v >> 40) - (1 << 23)) / (float)(1 << 23);
}

void bnn_fill_uniform(bnn_rng_t *r, float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = uniform24(bnn_rng_next(r));
}

void bnn_fill_activations(bnn_rng_t *r, float *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = bnn_rng_next(r);
		switch (v & 63) {
		case 0: case 1: x[i] = 0.0f; break;
		case 2: case 3: x[i] = -0.0f; break;
		case 4: x[i] = FLT_MIN; break;
		case 5: x[i] = -FLT_MIN; break;
		case 6: x[i] = FLT_TRUE_MIN; break;
		case 7: x[i] = -FLT_TRUE_MIN; break;
		default:
			x[i] = uniform24(v);
		}
	}
}
