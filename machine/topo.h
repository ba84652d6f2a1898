/*
 * topo.h: the machine's topology as hwloc sees it (stored once per machine:
 * the XML export, and the counts and cache sizes as columns). Built without
 * hwloc, only the processing units are known (sysconf) and xml is NULL.
 */
#ifndef BNN_TOPO_H
#define BNN_TOPO_H

#include <stdint.h>

typedef struct {
	const char *source;   /* "hwloc X.Y.Z" or "sysconf (built without hwloc)" */
	int64_t packages, cores, pus, numa_nodes;  /* -1 when unknown */
	int64_t l1d_bytes, l2_bytes, l3_bytes;     /* size of one cache; -1 unknown */
	int64_t l3_caches;                         /* how many L3s; -1 unknown */
	char *xml;            /* hwloc's XML export, malloc'ed; NULL when unknown */
	char cpu_model[256];  /* hwloc's CPUModel of the first package, "" unknown */
	char error[256];      /* why the topology is partial, "" when it is not */
} bnn_topo_t;

/*
 * Reads the topology into t. Returns 0; a failing hwloc leaves the counts
 * from sysconf, xml NULL and the reason in t->error (never an error return:
 * a run goes on without topology). Free with bnn_topo_free.
 */
int bnn_topo_read(bnn_topo_t *t);

/* Frees t->xml; t may be read again. */
void bnn_topo_free(bnn_topo_t *t);

/* hwloc's version: the release built against and the loaded library's API
 * version, or "not built in". */
const char *bnn_topo_hwloc_version(void);

#endif
