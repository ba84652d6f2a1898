/*
 * runner.h: the path of one problem (doc/harness-design.md): inputs from the seed, the
 * reference output, then for each kernel of the op that this machine can
 * run: prepare, poisoned output, run, check, timing, and the comparison of
 * the last timed output with the checked one. Each finished (problem,
 * kernel) outcome goes to a callback (which prints and stores it).
 */
#ifndef BNN_RUNNER_H
#define BNN_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "bnn_kernels.h"
#include "check.h"
#include "counters.h"
#include "bnn_cupti.h"
#include "desc.h"
#include "timing.h"

typedef struct {
	uint64_t seed;             /* run seed; each problem derives its own */
	int check_only;            /* no timing */
	double min_time_s;         /* timing: at least this long ... */
	int min_reps;              /* ... and at least this many samples */
	int max_reps;              /* ... and at most this many */
	int warmup;                /* untimed repetitions first (each round) */
	/* Rounds (doc/harness-design.md, Timing): every timed entry of a problem (its
	 * kernels and peers) is timed in `rounds` rounds, min_time_s split
	 * evenly over them; the entries' order is shuffled in each round by
	 * bnn_round_order from the problem's seed, so a drift of the machine
	 * reaches every entry alike. 1: one round, as a plain timing. */
	int rounds;
	/* Called while timing, at most every few hundred ms (and at the start
	 * of each entry's round), for a status line; NULL: none. */
	void (*progress)(void *ctx, const char *kernel, int round, int rounds,
			 size_t sample, double entry_left_s);
	void *progress_ctx;
	const char *dump_dir;      /* write .npy files of every problem here */
	/* --kernel: fnmatch patterns on kernel names; a kernel runs when it
	 * matches any of them (none: every kernel). */
	const char *const *kernel_filters;
	int nkernel_filters;
	int dump_blocks;           /* --dump-blocks: network kernels' stage outputs too */
	/* --input: images for the network problems, NCHW, n x 3 x h x w; a
	 * problem's image b is the file's image b mod n (h and w must match). */
	const float *images;
	int64_t images_n, images_h, images_w;
	/* --weights: trained ReActNet-A parameters (a bnn_weights_t of
	 * reactnet.h) for the network problems and every block problem whose
	 * (c, k, stride) is a block of the network; NULL: synthetic weights. */
	const struct bnn_weights_s *weights;
	bnn_counters_t *counters;  /* counters read after timing, or NULL */
	/* GPU kernels: CUPTI's kernel records and metrics read after timing
	 * (and after the counters), or NULL. */
	bnn_cupti_t *cupti;
	/* What a repro line must repeat besides the seed and the problem:
	 * --input and --weights (NULL: none given) and --threads (0: unknown). */
	const char *input_path, *weights_path;
	int threads;
} bnn_run_opts_t;

typedef struct {
	const bnn_kernel_t *kernel;
	const char *kind;          /* "kernel" or "peer": which table it came from */
	bnn_check_t check;
	int timed;                 /* stats and samples are valid */
	bnn_stats_t stats;         /* nanoseconds */
	const double *samples;     /* ns per repetition, in order; owned by the runner.
				    * A sample of a short kernel is the mean of
				    * several back-to-back repetitions. */
	size_t nsamples;
	/* GPU kernels: the same samples timed by CUDA events on the device
	 * (dev_timed; dev_samples owned by the runner, NaN where an event
	 * failed) and their statistics. */
	int dev_timed;
	const double *dev_samples;
	bnn_stats_t dev_stats;
	/* Rounds (o->rounds, timed results): round_ns[r] is the median of the
	 * samples of round r, round_n[r] their count, round_pos[r] the entry's
	 * 0-based position in round r's shuffled order; sample_round[i] the
	 * round of samples[i]. stats then summarise the round medians (their
	 * median, and a 95% interval from them: the rounds, not the samples,
	 * are the replicates), except min, the fastest sample. All owned by the
	 * runner; NULL when not timed. */
	int nrounds;
	const double *round_ns;
	const size_t *round_n;
	const int *round_pos;
	const int *sample_round;
	/* What spoiled round r's timing (machine/quiet.h, measured over it):
	 * other processes' CPUs and the stolen share, NaN when unknown. */
	const double *round_other_cpus, *round_steal;
	double macs, tops;
	char repro[800];           /* a command line reproducing this outcome */
	/* Counters (o->counters active, kernel timed): a pass of count_reps
	 * repetitions right after the samples; counts[i] is the total of
	 * o->counters->ev[i] over it (-1: not counted). count_error says why
	 * the pass failed, when it did (counted then 0). */
	int counted;
	long long count_reps;
	long long counts[BNN_COUNTERS_MAX];
	char count_error[256];
	/* CUPTI (o->cupti set, a GPU kernel timed): a pass of gpu_reps
	 * repetitions with the Activity API's kernel records, aggregated by
	 * device kernel name (gpu_kernels, owned by the runner), and
	 * gpu_kernel_ns = their total / gpu_reps, the pure kernel time of one
	 * repetition; then the metrics over one repetition: metric_values[i]
	 * for o->cupti->m[i] (NaN where not measured). The *_error say why a
	 * pass failed, when it did. */
	int gpu_traced;
	long long gpu_reps;
	const bnn_gpu_kstat_t *gpu_kernels;
	size_t ngpu_kernels;
	double gpu_kernel_ns;
	char gpu_trace_error[256];
	int gpu_metered;
	double metric_values[BNN_CUPTI_METRICS_MAX];
	char metric_error[320];
	/* Network kernels with a profile hook (timed): the median over
	 * stage_reps profiled runs of each stage's time inside the network,
	 * stage_ns[0..nstages): the stem, the blocks, the head (pool, FC).
	 * stage_error says why profiling failed, when it did (nstages 0). */
	int nstages;
	long long stage_reps;
	double stage_ns[BNN_PROFILE_MAX];
	char stage_error[160];
} bnn_outcome_t;

/* Returns 0 to go on, non-zero to stop the run (e.g. the store failed). */
typedef int (*bnn_outcome_cb)(void *ctx, const bnn_problem_t *p, const bnn_outcome_t *o);

/* Set by SIGINT/SIGTERM (see bnn_install_signals); checked between steps. */
extern volatile sig_atomic_t bnn_interrupted;
void bnn_install_signals(void);

/* Whether o's --kernel patterns select the kernel or peer called name. */
int bnn_kernel_wanted(const bnn_run_opts_t *o, const char *name);

/*
 * Runs p against the kernels of kernels[0..nk) whose op is p's; kind says
 * what they are ("kernel", "peer"). Returns 0;
 * -EINTR when interrupted (the outcome in progress is dropped, the finished
 * ones were passed to cb); -ECANCELED when cb asked to stop; -ENOMEM or
 * -EIO with err set.
 */
int bnn_run_problem(const bnn_problem_t *p, const bnn_kernel_t *kernels, size_t nk,
		    const char *kind, const bnn_run_opts_t *o, bnn_outcome_cb cb, void *ctx,
		    char *err, size_t errlen);

/*
 * A list of kernels run on a problem one after the other, with optional
 * hooks around the group (e.g. releasing the caller's thread binding for
 * peers that bring their own threads).
 */
typedef struct {
	const bnn_kernel_t *kernels;
	size_t n;
	const char *kind;          /* "kernel", "peer" */
	void (*before)(void);
	void (*after)(void);
} bnn_kernel_group_t;

/*
 * As bnn_run_problem, for several groups on one copy of the problem's data:
 * the inputs and the reference are made once for all of them (a large
 * reference, such as an 8192^3 GEMM's, takes minutes). Stops at the first
 * group that returns non-zero.
 */
int bnn_run_problem_groups(const bnn_problem_t *p, const bnn_kernel_group_t *g, size_t ng,
			   const bnn_run_opts_t *o, bnn_outcome_cb cb, void *ctx, char *err,
			   size_t errlen);

#endif
