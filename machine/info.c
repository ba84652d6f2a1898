/* `bnnbench info`: see info.h. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "bnn_kernels.h"
#include "config.h"
#include "info.h"
#include "peers.h"

/* A size in KiB, MiB or GiB, or "?" when unknown. */
static const char *size_text(int64_t b, char *buf, size_t len)
{
	if (b < 0)
		return "?";
	if (b >= (1 << 30))
		snprintf(buf, len, "%.1f GiB", (double)b / (1 << 30));
	else if (b >= (1 << 20))
		snprintf(buf, len, "%g MiB", (double)b / (1 << 20));
	else
		snprintf(buf, len, "%g KiB", (double)b / 1024);
	return buf;
}

/* A count, or "?" when unknown. */
static const char *count_text(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		return "?";
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

static const bnn_cupti_t *info_cupti;

void bnn_info_set_cupti(const bnn_cupti_t *c)
{
	info_cupti = c;
}

/* Metric names of one type, wrapped, for the text form. */
typedef struct {
	FILE *f;
	const char *type;
	size_t col;
} wrap_t;

static void text_metric(void *vctx, const char *type, const char *name)
{
	wrap_t *w = vctx;
	if (!w->type || strcmp(w->type, type)) {
		fprintf(w->f, "%s    %s:", w->type ? "\n" : "", type);
		w->type = type;
		w->col = 5 + strlen(type);
	}
	if (w->col + 1 + strlen(name) > 100) {
		fprintf(w->f, "\n     ");
		w->col = 5;
	}
	fprintf(w->f, " %s", name);
	w->col += 1 + strlen(name);
}

/* The "gpu counters" section: CUPTI's kernel records, the requested
 * metrics with their status, and every base metric the chip offers. */
static void print_text_cupti(FILE *f, const bnn_cupti_t *c)
{
	char err[400];
	fprintf(f, "\ngpu counters (%s)\n", bnn_cupti_version());
	fprintf(f, "  %-26s %-12s %s%s\n", "kernel records", c->trace ? "ok" : "unavailable",
		c->trace ? "Activity API, " BNN_CUPTI_ACTIVITY_EVENT : "", c->trace_reason);
	if (!c->metrics_enabled)
		fprintf(f, "  metrics off (--gpu-metrics none)\n");
	for (size_t i = 0; i < c->nmetrics; i++)
		fprintf(f, "  %-26s %-12s %s\n", c->m[i].name, c->m[i].status, c->m[i].reason);
	if (c->metrics_enabled)
		fprintf(f, "  %d of %zu measured, over one repetition (Range Profiler%s%s, %zu "
			"passes)\n", c->nactive, c->nmetrics, c->chip[0] ? ", chip " : "", c->chip,
			c->passes);
	/* One call only: CUPTI 13 hands back a longer list on a second call
	 * of cuptiProfilerHostGetBaseMetrics (each name again). */
	if (!c->chip_tables) {
		fprintf(f, "  metrics the chip offers: cannot be listed: %s\n", c->chip_reason);
		return;
	}
	fprintf(f, "  metrics the chip %s offers (base names; a metric is a base name and a "
		"rollup: .sum, .avg, .min, .max, and for ratios and throughputs also .pct or "
		".pct_of_peak_sustained_active ...):\n", c->chip);
	wrap_t w = { f, NULL, 0 };
	long n = bnn_cupti_chip_metrics(c, text_metric, &w, err, sizeof(err));
	if (n < 0)
		fprintf(f, "    cannot be listed: %s\n", err);
	else
		fprintf(f, "\n  %ld base names\n", n);
}

/* The JSON form of the same section. */
static void json_metric(void *vctx, const char *type, const char *name)
{
	json_t *o = vctx, *a = json_object_get(o, type);
	if (!a) {
		a = json_array();
		json_object_set_new(o, type, a);
	}
	json_array_append_new(a, json_string(name));
}

static json_t *json_cupti(const bnn_cupti_t *c)
{
	char err[400];
	json_t *o = json_object(), *ms = json_array(), *tr = json_object();
	json_object_set_new(o, "cupti", json_string(bnn_cupti_version()));
	json_object_set_new(o, "built", json_boolean(c->built));
	json_object_set_new(o, "device", json_boolean(c->device));
	json_object_set_new(o, "chip", c->chip[0] ? json_string(c->chip) : json_null());
	json_object_set_new(tr, "event", json_string(BNN_CUPTI_ACTIVITY_EVENT));
	json_object_set_new(tr, "status", json_string(c->trace ? "ok" : "unavailable"));
	json_object_set_new(tr, "reason", c->trace ? json_null() : json_string(c->trace_reason));
	json_object_set_new(o, "kernel_records", tr);
	json_object_set_new(o, "metrics_enabled", json_boolean(c->metrics_enabled));
	for (size_t i = 0; i < c->nmetrics; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(c->m[i].name));
		json_object_set_new(e, "status", json_string(c->m[i].status));
		json_object_set_new(e, "reason", c->m[i].reason[0] ? json_string(c->m[i].reason)
							 : json_null());
		json_array_append_new(ms, e);
	}
	json_object_set_new(o, "metrics", ms);
	json_object_set_new(o, "measured", json_integer(c->nactive));
	json_object_set_new(o, "passes", json_integer((json_int_t)c->passes));
	json_t *cm = json_object();
	long n = bnn_cupti_chip_metrics(c, json_metric, cm, err, sizeof(err));
	if (n < 0) {
		json_decref(cm);
		json_object_set_new(o, "chip_metrics", json_null());
		json_object_set_new(o, "chip_metrics_error", json_string(err));
	} else {
		json_object_set_new(o, "chip_metrics", cm);
		json_object_set_new(o, "chip_metrics_error", json_null());
	}
	return o;
}

/* The machine record's "gpu" object (machine/machine.c) as labelled lines. */
static void print_gpu(FILE *f, const bnn_machine_t *m)
{
	json_t *rec = json_loads(m->record_json, 0, NULL);
	json_t *g = rec ? json_object_get(rec, "gpu") : NULL;
	const char *k;
	json_t *v;
	fprintf(f, "\ngpu\n");
	if (g)
		json_object_foreach(g, k, v) {
			if (json_is_string(v))
				fprintf(f, "  %-16s %s\n", k, json_string_value(v));
			else if (json_is_integer(v))
				fprintf(f, "  %-16s %lld\n", k, (long long)json_integer_value(v));
			else if (json_is_boolean(v))
				fprintf(f, "  %-16s %s\n", k, json_is_true(v) ? "yes" : "no");
			else if (json_is_null(v))
				fprintf(f, "  %-16s ?\n", k);
		}
	else
		fprintf(f, "  not in the record\n");
	json_decref(rec);
}

/* The text form: one labelled line per fact, then tables. */
static int print_text(FILE *f, const bnn_machine_t *m, const bnn_counters_t *c)
{
	char a[32], b[32], d[32], e[32], g[32], h[32], isa[300], why[200];
	bnn_build_info_t bi;
	const bnn_topo_t *t = &m->topo;
	bnn_build_info(&bi);
	bnn_isa_report(isa, sizeof(isa));

	fprintf(f, "bnnbench %s (%s)\n\n", PACKAGE_VERSION, bi.version);
	fprintf(f, "machine\n");
	fprintf(f, "  fingerprint  %s (groups runs of this machine)\n", m->fingerprint);
	fprintf(f, "  hostname     %s\n", m->hostname);
	fprintf(f, "  cpu          %s\n", m->cpu_model);
	fprintf(f, "  features     %s\n", m->features);
	fprintf(f, "  dispatch     %s\n", isa);
	if (isnan(m->cpu_mhz))
		fprintf(f, "  frequency    not readable\n");
	else
		fprintf(f, "  frequency    %.0f MHz now (%s)\n", m->cpu_mhz, m->mhz_source);
	fprintf(f, "  governor     %s\n", m->governor[0] ? m->governor :
		"not readable (no cpufreq in /sys/devices/system/cpu/cpu0)");
	fprintf(f, "  kernel       %s\n", m->kernel);
	fprintf(f, "  memory       %s\n", size_text((int64_t)bnn_phys_mem(), a, sizeof(a)));
	fprintf(f, "  topology     %s: packages %s, cores %s, PUs %s, NUMA nodes %s\n", t->source,
		count_text(t->packages, a, sizeof(a)), count_text(t->cores, b, sizeof(b)),
		count_text(t->pus, d, sizeof(d)), count_text(t->numa_nodes, e, sizeof(e)));
	fprintf(f, "  caches       L1d %s, L2 %s, L3 %s (x%s)\n",
		size_text(t->l1d_bytes, a, sizeof(a)), size_text(t->l2_bytes, b, sizeof(b)),
		size_text(t->l3_bytes, g, sizeof(g)), count_text(t->l3_caches, h, sizeof(h)));
	if (t->error[0])
		fprintf(f, "  topology note: %s\n", t->error);
	fprintf(f, "\nbuild\n  version      %s\n  compiler     %s\n  cflags       %s\n",
		bi.version, bi.compiler, bi.cflags);

	fprintf(f, "\nlibraries\n");
	json_t *rec = json_loads(m->record_json, 0, NULL);
	json_t *lib = rec ? json_object_get(rec, "libraries") : NULL;
	const char *k;
	json_t *v;
	if (lib)
		json_object_foreach(lib, k, v)
			fprintf(f, "  %-12s %s\n", k, json_string_value(v) ? json_string_value(v) : "?");
	json_decref(rec);
	print_gpu(f, m);

	fprintf(f, "\ncounters (PAPI %s)\n", bnn_counters_papi_version());
	if (!c->enabled)
		fprintf(f, "  off (--events none)\n");
	else if (!c->papi)
		fprintf(f, "  PAPI not usable: %s\n", c->papi_error);
	for (size_t i = 0; i < c->nevents; i++) {
		const bnn_counter_event_t *ev = &c->ev[i];
		fprintf(f, "  %-26s %-12s %s%s%s%s\n", ev->name, ev->status,
			ev->component[0] ? ev->component : "-", ev->multiplexed ? " multiplexed" : "",
			ev->reason[0] ? "  " : "", ev->reason);
	}
	if (c->enabled)
		fprintf(f, "  %d of %zu counted; a run counts them on every worker thread "
			"(per-thread event sets, summed)\n", c->nactive, c->nevents);

	if (info_cupti)
		print_text_cupti(f, info_cupti);

	fprintf(f, "\nkernels\n");
	for (size_t i = 0; i < bnn_kernel_count; i++) {
		const bnn_kernel_t *kk = &bnn_kernels[i];
		int ok = bnn_isa_available(kk->isa, why, sizeof(why));
		fprintf(f, "  %-32s %-8s %-8s %s%s\n", kk->name, bnn_op_name(kk->op),
			bnn_isa_name(kk->isa), ok ? "runs here" : "does not run: ", ok ? "" : why);
	}
	fprintf(f, "\npeers (%s)\n", bnn_peers_versions());
	const char *caveat = bnn_peers_caveat();
	if (caveat)
		fprintf(f, "  note: %s\n", caveat);
	for (size_t i = 0; i < bnn_peer_count; i++) {
		/* A GPU peer needs the device, like a CUDA kernel. */
		int ok = bnn_isa_available(bnn_peers[i].isa, why, sizeof(why));
		fprintf(f, "  %-32s %-8s %s%s\n", bnn_peers[i].name,
			bnn_op_name(bnn_peers[i].op), ok ? "runs here" : "does not run: ",
			ok ? "" : why);
	}
	if (bnn_peer_count == 0)
		fprintf(f, "  none: built without OpenBLAS and oneDNN\n");
	return ferror(f) ? -EIO : 0;
}

/* The JSON form: {"bnnbench", "machine", "counters", "kernels", "peers"}. */
static int print_json(FILE *f, const bnn_machine_t *m, const bnn_counters_t *c)
{
	char why[200];
	bnn_build_info_t bi;
	int rc = 0;
	bnn_build_info(&bi);
	json_t *o = json_object();
	json_t *rec = json_loads(m->record_json, 0, NULL);
	if (!o || !rec) {
		rc = -ENOMEM;
		goto out;
	}
	json_object_set_new(o, "bnnbench", json_string(PACKAGE_VERSION));
	json_object_set_new(o, "version", json_string(bi.version));
	json_object_set(o, "machine", rec);

	json_t *co = json_object(), *evs = json_array();
	json_object_set_new(co, "papi", json_string(bnn_counters_papi_version()));
	json_object_set_new(co, "enabled", json_boolean(c->enabled));
	json_object_set_new(co, "usable", json_boolean(c->papi));
	json_object_set_new(co, "error", c->papi_error[0] ? json_string(c->papi_error) : json_null());
	json_object_set_new(co, "counted", json_integer(c->nactive));
	for (size_t i = 0; i < c->nevents; i++) {
		const bnn_counter_event_t *ev = &c->ev[i];
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(ev->name));
		json_object_set_new(e, "component", ev->component[0] ? json_string(ev->component)
								 : json_null());
		json_object_set_new(e, "status", json_string(ev->status));
		json_object_set_new(e, "reason", ev->reason[0] ? json_string(ev->reason) : json_null());
		json_object_set_new(e, "multiplexed", json_boolean(ev->multiplexed));
		json_array_append_new(evs, e);
	}
	json_object_set_new(co, "events", evs);
	json_object_set_new(o, "counters", co);
	if (info_cupti)
		json_object_set_new(o, "gpu_counters", json_cupti(info_cupti));

	json_t *ks = json_array();
	for (size_t i = 0; i < bnn_kernel_count; i++) {
		const bnn_kernel_t *kk = &bnn_kernels[i];
		int ok = bnn_isa_available(kk->isa, why, sizeof(why));
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(kk->name));
		json_object_set_new(e, "op", json_string(bnn_op_name(kk->op)));
		json_object_set_new(e, "isa", json_string(bnn_isa_name(kk->isa)));
		json_object_set_new(e, "runs", json_boolean(ok));
		json_object_set_new(e, "reason", ok ? json_null() : json_string(why));
		json_object_set_new(e, "summary", json_string(kk->summary));
		json_array_append_new(ks, e);
	}
	json_object_set_new(o, "kernels", ks);
	json_t *ps = json_array();
	for (size_t i = 0; i < bnn_peer_count; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(bnn_peers[i].name));
		json_object_set_new(e, "op", json_string(bnn_op_name(bnn_peers[i].op)));
		json_object_set_new(e, "summary", json_string(bnn_peers[i].summary));
		int ok = bnn_isa_available(bnn_peers[i].isa, why, sizeof(why));
		json_object_set_new(e, "isa", json_string(bnn_isa_name(bnn_peers[i].isa)));
		json_object_set_new(e, "runs", json_boolean(ok));
		json_object_set_new(e, "reason", ok ? json_null() : json_string(why));
		json_array_append_new(ps, e);
	}
	json_object_set_new(o, "peers", ps);
	json_object_set_new(o, "peer_versions", json_string(bnn_peers_versions()));
	const char *caveat = bnn_peers_caveat();
	json_object_set_new(o, "peer_note",
			    caveat ? json_string(caveat) : json_null());
	if (json_dumpf(o, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', f) == EOF)
		rc = -EIO;
out:
	json_decref(rec);
	json_decref(o);
	return rc;
}

int bnn_info_print(FILE *f, const bnn_machine_t *m, const bnn_counters_t *c, int json)
{
	return json ? print_json(f, m, c) : print_text(f, m, c);
}
