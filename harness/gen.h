/*
 * gen.h: seeded input data. Every problem gets its own stream, derived from
 * the run's seed and the problem's canonical descriptor, so one problem can
 * be reproduced alone with the same --seed.
 */
#ifndef BNN_GEN_H
#define BNN_GEN_H

#include <stddef.h>
#include <stdint.h>

/* A stream of the project's generator (splitmix64, bnn_rand.h). */
typedef struct {
	uint64_t s;
} bnn_rng_t;

/* Seed of a problem: the run seed mixed with a hash of its canonical text. */
uint64_t bnn_problem_seed(uint64_t run_seed, const char *canonical);

/* FNV-1a of n bytes (bnn_rand.h): the fingerprint of a checked output, compared with
 * each timed round's output. */
uint64_t bnn_hash_bytes(const void *p, size_t n);

/*
 * The order of n timed entries in round `round` of a problem whose seed is
 * seed: perm[0..n) is a permutation of 0..n-1, the same for the same
 * (seed, round, n), drawn by Fisher-Yates from its own generator.
 */
void bnn_round_order(uint64_t seed, int round, size_t n, size_t *perm);

void bnn_rng_init(bnn_rng_t *r, uint64_t seed);
uint64_t bnn_rng_next(bnn_rng_t *r);

/*
 * Fills x with values uniform in [-1, 1), mixed with the values where sign()
 * decides a tie or nearly does: exact +0.0 and -0.0 (each about 1 in 32) and
 * +-FLT_MIN, +-FLT_TRUE_MIN (the smallest normal and subnormal floats).
 */
void bnn_fill_activations(bnn_rng_t *r, float *x, size_t n);

/*
 * Fills x with values uniform in [-1, 1) (24 random bits, multiples of
 * 2^-23; 0.0 about 1 in 2^24), none subnormal: the network's synthetic
 * images. The stem is a float conv that binarizes nothing, so the ties of
 * bnn_fill_activations test nothing there, and their subnormal products
 * (FLT_MIN times a weight) would time the processor's subnormal assists,
 * which no real image causes, instead of the stem.
 */
void bnn_fill_uniform(bnn_rng_t *r, float *x, size_t n);

#endif
