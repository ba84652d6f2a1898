/* splitmix64: tiny, fast, and good enough for test data. */
#include <float.h>
#include "gen.h"

uint64_t bnn_problem_seed(uint64_t run_seed, const char *canonical)
{
	uint64_t h = 1469598103934665603ull;  /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)canonical; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return run_seed ^ h;
}

uint64_t bnn_hash_bytes(const void *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ull;
	return h;
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
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
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
			/* 24 random bits: uniform in [-1, 1) */
			x[i] = (float)((int64_t)(v >> 40) - (1 << 23)) / (float)(1 << 23);
		}
	}
}
