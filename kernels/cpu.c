/*
 * Run-time ISA detection, done once. What the CPU reports comes first; the
 * environment variable BNNBENCH_ISA caps it (BLIS does the same with
 * BLIS_ARCH_TYPE) so that every lower ISA's kernels can be tested on a
 * machine that has a higher one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#ifdef BNN_HAVE_CUDA
#include "cuda/bnn_cuda.h"
#endif

static const char *const isa_names[BNN_ISA_COUNT] = { "generic", "avx2", "avx512", "cuda" };

const char *bnn_isa_name(bnn_isa_t isa)
{
	return (unsigned)isa < BNN_ISA_COUNT ? isa_names[isa] : "?";
}

int bnn_isa_parse(const char *s, bnn_isa_t *isa)
{
	for (int i = 0; i < BNN_ISA_COUNT; i++)
		if (strcmp(s, isa_names[i]) == 0) {
			*isa = (bnn_isa_t)i;
			return 0;
		}
	return -1;
}

const char *bnn_op_name(bnn_op_t op)
{
	static const char *const names[BNN_OP_COUNT] = { "gemm", "conv", "bwn", "xnor",
								   "rblock", "reactnet" };
	return (unsigned)op < BNN_OP_COUNT ? names[op] : "?";
}

static struct {
	int done;
	int has[BNN_ISA_COUNT];   /* what the CPU reports */
	int cap;                  /* highest CPU ISA allowed, -1: no cap */
	char cap_error[128];
	char features[256];
} cpu;

static void detect(void)
{
	if (cpu.done)
		return;
	cpu.done = 1;
	cpu.has[BNN_ISA_GENERIC] = 1;
	cpu.cap = -1;
	cpu.features[0] = 0;
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	static const char *const probe[] = { "popcnt", "avx2", "avx512f", "avx512bw",
					     "avx512vpopcntdq" };
	int got[5];
	got[0] = __builtin_cpu_supports("popcnt");
	got[1] = __builtin_cpu_supports("avx2");
	got[2] = __builtin_cpu_supports("avx512f");
	got[3] = __builtin_cpu_supports("avx512bw");
	got[4] = __builtin_cpu_supports("avx512vpopcntdq");
	for (int i = 0; i < 5; i++)
		if (got[i]) {
			strcat(cpu.features, cpu.features[0] ? " " : "");
			strcat(cpu.features, probe[i]);
		}
	cpu.has[BNN_ISA_AVX2] = got[1] && got[0];
	cpu.has[BNN_ISA_AVX512] = got[2] && got[3] && got[4];
#endif
	const char *env = getenv("BNNBENCH_ISA");
	if (env && *env) {
		bnn_isa_t cap;
		if (bnn_isa_parse(env, &cap) != 0 || cap == BNN_ISA_CUDA)
			snprintf(cpu.cap_error, sizeof(cpu.cap_error),
				 "BNNBENCH_ISA=%s is not one of generic, avx2, avx512: ignored", env);
		else
			cpu.cap = (int)cap;
	}
}

int bnn_isa_available(bnn_isa_t isa, char *why, size_t whylen)
{
	detect();
	if (isa == BNN_ISA_CUDA) {
#ifdef BNN_HAVE_CUDA
		/* the runtime's own answer (cudaGetDeviceCount), asked once */
		return bnn_cuda_available(why, whylen);
#else
		snprintf(why, whylen, "built without CUDA");
		return 0;
#endif
	}
	if (!cpu.has[isa]) {
		snprintf(why, whylen, "the CPU does not report %s", bnn_isa_name(isa));
		return 0;
	}
	if (cpu.cap >= 0 && (int)isa > cpu.cap) {
		snprintf(why, whylen, "excluded by BNNBENCH_ISA=%s", bnn_isa_name(cpu.cap));
		return 0;
	}
	return 1;
}

const char *bnn_cpu_features(void)
{
	detect();
	return cpu.features[0] ? cpu.features : "(none detected)";
}

void bnn_isa_report(char *buf, size_t len)
{
	detect();
	int best = BNN_ISA_GENERIC;
	for (int i = BNN_ISA_GENERIC; i < BNN_ISA_CUDA; i++)
		if (cpu.has[i] && (cpu.cap < 0 || i <= cpu.cap))
			best = i;
	snprintf(buf, len, "best CPU ISA: %s (CPU reports: %s%s%s%s%s)", bnn_isa_name(best),
		 bnn_cpu_features(),
		 cpu.cap >= 0 ? "; capped by BNNBENCH_ISA=" : "",
		 cpu.cap >= 0 ? bnn_isa_name(cpu.cap) : "",
		 cpu.cap_error[0] ? "; " : "", cpu.cap_error);
}
