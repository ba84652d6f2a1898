/* machine.h: what a run records about where it ran and what built it.
 * (The counters issue extends this with hwloc and the full record.) */
#ifndef BNN_MACHINE_H
#define BNN_MACHINE_H

#include "store.h"

typedef struct {
	char hostname[256];
	char cpu_model[256];
	char features[256];
	char fingerprint[32];
	char record_json[1024];
	long cores;
} bnn_machine_t;

/* Reads the machine (cannot fail: unknown fields read "unknown"). */
void bnn_machine_read(bnn_machine_t *m);
void bnn_machine_info(const bnn_machine_t *m, bnn_machine_info_t *info);
void bnn_build_info(bnn_build_info_t *b);

/* Physical memory in bytes, 0 if unknown. */
unsigned long long bnn_phys_mem(void);

#endif
