/* machine.h: what a run records about where it ran and what built it:
 * the machine record (CPU, dispatch, frequency, kernel, build, library
 * versions, topology) and the fingerprint that groups runs of one machine. */
#ifndef BNN_MACHINE_H
#define BNN_MACHINE_H

#include "store.h"
#include "topo.h"

typedef struct {
	char hostname[256];
	char cpu_model[256];
	char features[256];
	char fingerprint[32];
	char record_json[8192];
	long cores;
	/* What changes between runs of one machine (stored per run too). */
	char governor[128];      /* cpufreq governor, "" when not readable */
	double cpu_mhz;         /* current MHz, NaN when not readable */
	char mhz_source[96];
	char kernel[320];       /* uname: sysname release version machine */
	bnn_topo_t topo;        /* topology; topo.xml is owned (bnn_machine_free) */
} bnn_machine_t;

/*
 * Reads the machine (cannot fail: unknown fields read "unknown", or null in
 * the record). Free with bnn_machine_free.
 */
void bnn_machine_read(bnn_machine_t *m);
void bnn_machine_free(bnn_machine_t *m);
void bnn_machine_info(const bnn_machine_t *m, bnn_machine_info_t *info);
void bnn_build_info(bnn_build_info_t *b);

/* Physical memory in bytes, 0 if unknown. */
unsigned long long bnn_phys_mem(void);

#endif
