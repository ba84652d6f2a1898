/* The machine's topology through hwloc: see topo.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "topo.h"
#ifdef HAVE_HWLOC
#include <hwloc.h>
#endif

/* See topo.h. */
const char *bnn_topo_hwloc_version(void)
{
#ifdef HAVE_HWLOC
	/* The package version is known at build time only; the library that
	 * is loaded tells its API version. */
	static char buf[64];
	unsigned v = hwloc_get_api_version();
#ifdef HWLOC_VERSION
	snprintf(buf, sizeof(buf), "%s (API %u.%u.%u)", HWLOC_VERSION, v >> 16, (v >> 8) & 0xff,
		 v & 0xff);
#else
	snprintf(buf, sizeof(buf), "API %u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
#endif
	return buf;
#else
	return "not built in";
#endif
}

#ifdef HAVE_HWLOC
/* Size of the first cache of this type (caches of one level are alike on
 * the machines this runs on; a hybrid CPU would need one row per kind). */
static int64_t cache_size(hwloc_topology_t topo, hwloc_obj_type_t type, int data)
{
	int n = hwloc_get_nbobjs_by_type(topo, type);
	for (int i = 0; i < n; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, (unsigned)i);
		if (o && o->attr && (!data || o->attr->cache.type != HWLOC_OBJ_CACHE_INSTRUCTION))
			return (int64_t)o->attr->cache.size;
	}
	return -1;
}

/* Objects of a type, -1 when hwloc cannot say (several depths). */
static int64_t count(hwloc_topology_t topo, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(topo, type);
	return n >= 0 ? n : -1;
}
#endif

int bnn_topo_read(bnn_topo_t *t)
{
	memset(t, 0, sizeof(*t));
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	t->packages = t->cores = t->numa_nodes = -1;
	t->l1d_bytes = t->l2_bytes = t->l3_bytes = t->l3_caches = -1;
	t->pus = online > 0 ? online : -1;
#ifdef HAVE_HWLOC
	static char source[96];
	hwloc_topology_t topo;
	snprintf(source, sizeof(source), "hwloc %s", bnn_topo_hwloc_version());
	t->source = source;
	if (hwloc_topology_init(&topo) != 0) {
		snprintf(t->error, sizeof(t->error), "hwloc_topology_init failed");
		return 0;
	}
	if (hwloc_topology_load(topo) != 0) {
		snprintf(t->error, sizeof(t->error), "hwloc_topology_load failed");
		hwloc_topology_destroy(topo);
		return 0;
	}
	t->packages = count(topo, HWLOC_OBJ_PACKAGE);
	t->cores = count(topo, HWLOC_OBJ_CORE);
	t->pus = count(topo, HWLOC_OBJ_PU);
	t->numa_nodes = count(topo, HWLOC_OBJ_NUMANODE);
	t->l1d_bytes = cache_size(topo, HWLOC_OBJ_L1CACHE, 1);
	t->l2_bytes = cache_size(topo, HWLOC_OBJ_L2CACHE, 1);
	t->l3_bytes = cache_size(topo, HWLOC_OBJ_L3CACHE, 1);
	t->l3_caches = t->l3_bytes >= 0 ? count(topo, HWLOC_OBJ_L3CACHE) : 0;
	hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
	const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
	if (model)
		snprintf(t->cpu_model, sizeof(t->cpu_model), "%s", model);
	char *buf = NULL;
	int len = 0;
	if (hwloc_topology_export_xmlbuffer(topo, &buf, &len, 0) == 0 && buf) {
		t->xml = strdup(buf);
		hwloc_free_xmlbuffer(topo, buf);
		if (!t->xml)
			snprintf(t->error, sizeof(t->error), "out of memory copying the XML");
	} else {
		snprintf(t->error, sizeof(t->error), "hwloc_topology_export_xmlbuffer failed");
	}
	hwloc_topology_destroy(topo);
#else
	t->source = "sysconf (built without hwloc)";
	snprintf(t->error, sizeof(t->error), "built without hwloc: only the CPU count is known");
#endif
	return 0;
}

void bnn_topo_free(bnn_topo_t *t)
{
	free(t->xml);
	t->xml = NULL;
}
