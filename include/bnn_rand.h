/*
 * bnn_rand.h: the one random generator and the one hash of the project,
 * for everything that must give the same bits on every machine and C
 * library: seeded inputs, the shuffled order of rounds, bootstrap draws,
 * probe data, the machine fingerprint.
 *
 * splitmix64 (Steele, Lea and Flood; the seeding generator of xoshiro):
 * one 64-bit state word, every seed valid, good enough for test data and
 * resampling. FNV-1a, 64-bit: a fast, stable hash of bytes; never for
 * anything adversarial.
 */
#ifndef BNN_RAND_H
#define BNN_RAND_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a's offset basis: the hash of no bytes. */
#define BNN_FNV1A_INIT 1469598103934665603ull

/* The next splitmix64 number; advances *state. */
static inline uint64_t bnn_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* FNV-1a of n bytes at p, continuing from h (BNN_FNV1A_INIT to start). */
static inline uint64_t bnn_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ull;
	return h;
}

/* FNV-1a of the bytes of the string s, continuing from h. */
static inline uint64_t bnn_fnv1a_str(uint64_t h, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		h = (h ^ *c) * 1099511628211ull;
	return h;
}

#endif
