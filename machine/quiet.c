/* How quiet the machine was: see quiet.h. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "quiet.h"
#include "timing.h"

/* Monotonic seconds, on the harness's clock. */
static double mono_s(void)
{
	return (double)bnn_now_ns() * 1e-9;
}

/* CPU seconds of this process, all its threads, user and system. */
static double self_cpu_s(void)
{
	struct rusage u;
	if (getrusage(RUSAGE_SELF, &u) != 0)
		return NAN;
	return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
	       (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

/* The aggregate cpu line of /proc/stat: user nice system idle iowait irq
 * softirq steal guest guest_nice, in clock ticks; 0 or -1. */
static int read_cpu(unsigned long long v[10])
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	memset(v, 0, 10 * sizeof(*v));
	int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	fclose(f);
	return n >= 8 ? 0 : -1;
}

static double load1(void)
{
	double l = NAN;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = NAN;
		fclose(f);
	}
	return l;
}

/* The lowest and highest current frequency over the online CPUs (MHz). */
static void freq_range(int ncpu, double *lo, double *hi)
{
	*lo = *hi = NAN;
	for (int c = 0; c < ncpu && c < 4096; c++) {
		char path[96];
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq",
			 c);
		FILE *f = fopen(path, "r");
		double khz;
		if (!f)
			continue;
		if (fscanf(f, "%lf", &khz) == 1 && khz > 0) {
			double m = khz / 1e3;
			if (isnan(*lo) || m < *lo)
				*lo = m;
			if (isnan(*hi) || m > *hi)
				*hi = m;
		}
		fclose(f);
	}
}

void bnn_quiet_begin(bnn_quiet_t *q)
{
	memset(q, 0, sizeof(*q));
	q->load1_start = load1();
	q->have_cpu0 = read_cpu(q->cpu0) == 0;
	q->self0 = self_cpu_s();
	q->t0 = mono_s();
}

static void add_reason(bnn_quiet_report_t *r, const char *fmt, double a, double b)
{
	size_t n = strlen(r->reasons);
	if (n + 4 >= sizeof(r->reasons))
		return;
	if (n)
		n += (size_t)snprintf(r->reasons + n, sizeof(r->reasons) - n, "; ");
	snprintf(r->reasons + n, sizeof(r->reasons) - n, fmt, a, b);
}

void bnn_quiet_end(const bnn_quiet_t *q, double probe_start, double probe_end,
		   bnn_quiet_report_t *r)
{
	unsigned long long v[10];
	double self1 = self_cpu_s();
	memset(r, 0, sizeof(*r));
	r->wall_s = mono_s() - q->t0;
	r->ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	r->load1_start = q->load1_start;
	r->load1_end = load1();
	r->steal = r->iowait = r->other_cpus = NAN;
	r->probe_start = probe_start;
	r->probe_end = probe_end;
	freq_range(r->ncpu, &r->mhz_min, &r->mhz_max);
	if (q->have_cpu0 && read_cpu(v) == 0) {
		double total = 0, busy, tick = (double)sysconf(_SC_CLK_TCK);
		double d[10];
		for (int i = 0; i < 10; i++) {
			d[i] = v[i] >= q->cpu0[i] ? (double)(v[i] - q->cpu0[i]) : 0;
			if (i < 8)
				total += d[i];   /* guest time is already in user */
		}
		if (total > 0) {
			r->steal = d[7] / total;
			r->iowait = d[4] / total;
			/* Busy ticks of everyone but idle, iowait and steal. */
			busy = d[0] + d[1] + d[2] + d[5] + d[6];
			if (tick > 0 && r->wall_s > 0 && !isnan(self1) && !isnan(q->self0)) {
				double others = busy / tick - (self1 - q->self0);
				r->other_cpus = (others > 0 ? others : 0) / r->wall_s;
			}
		}
	}
	int known = !isnan(r->steal);
	r->quiet = known ? 1 : -1;
	if (known && r->other_cpus > BNN_QUIET_MAX_OTHER_CPUS)
		add_reason(r, "other processes used %.2f CPUs (limit %.2f)", r->other_cpus,
			   BNN_QUIET_MAX_OTHER_CPUS);
	if (known && r->steal > BNN_QUIET_MAX_STEAL)
		add_reason(r, "%.1f%% of CPU time stolen by the hypervisor (limit %.0f%%)",
			   100 * r->steal, 100 * BNN_QUIET_MAX_STEAL);
	if (known && r->iowait > BNN_QUIET_MAX_IOWAIT)
		add_reason(r, "%.1f%% of CPU time waiting for I/O (limit %.0f%%)", 100 * r->iowait,
			   100 * BNN_QUIET_MAX_IOWAIT);
	if (probe_start > 0 && probe_end > 0 &&
	    fabs(probe_end / probe_start - 1) > BNN_QUIET_MAX_PROBE_DRIFT)
		add_reason(r, "the peak probe moved by %+.0f%% from start to end (limit %.0f%%)",
			   100 * (probe_end / probe_start - 1), 100 * BNN_QUIET_MAX_PROBE_DRIFT);
	if (r->reasons[0])
		r->quiet = 0;
}

/* A number, or JSON null for NaN. */
static json_t *num(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

char *bnn_quiet_json(const bnn_quiet_report_t *r)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "quiet", r->quiet < 0 ? json_null() : json_boolean(r->quiet));
	json_object_set_new(o, "reasons", json_string(r->reasons));
	json_object_set_new(o, "wall_s", num(r->wall_s));
	json_object_set_new(o, "cpus", json_integer(r->ncpu));
	json_object_set_new(o, "load1_start", num(r->load1_start));
	json_object_set_new(o, "load1_end", num(r->load1_end));
	json_object_set_new(o, "steal", num(r->steal));
	json_object_set_new(o, "iowait", num(r->iowait));
	json_object_set_new(o, "other_cpus", num(r->other_cpus));
	json_object_set_new(o, "mhz_min", num(r->mhz_min));
	json_object_set_new(o, "mhz_max", num(r->mhz_max));
	json_object_set_new(o, "probe_start", num(r->probe_start));
	json_object_set_new(o, "probe_end", num(r->probe_end));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}
