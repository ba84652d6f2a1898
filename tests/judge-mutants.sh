#!/bin/bash
# judge-mutants.sh: a mutation test of the judge. Each mutant below is one
# small, realistic change (a sed rule) to the references, the checker, the
# bound builders, the poison and timed-output checks or the ReActNet logits
# and classes check. The script copies the tree to a scratch folder, builds
# it once (configure --without-cuda), then for each mutant applies the rule,
# rebuilds, runs the tests named for it and restores the file. A mutant is
# caught when one of those tests fails; the score is caught / (applied -
# equivalent). Not run by `make check` (about 15 minutes on two cores: a
# first build, then some 15 s a mutant); run it by hand, from the top of the
# source tree, after changing the judge or its tests:
#
#     tests/judge-mutants.sh              # the working tree's tracked files
#     tests/judge-mutants.sh -r REV       # a committed revision instead
#     tests/judge-mutants.sh -j 4 -o ID   # 4 make jobs; only mutant ID
#     tests/judge-mutants.sh -o 'C1 B2' -t 'tests/selftest.sh tests/cli.sh'
#                                         # those mutants, against those tests
#
# It prints one line per mutant and the score, keeps the scratch folder (its
# path is printed; logs/ID.log holds each mutant's build and test output)
# and exits 0 when every applicable, non-equivalent mutant was caught. A
# rule that changes nothing in its file (an older revision without that
# code) counts as not applicable; tests it lacks are left out.
# compare (reports/compare.c): the V mutants.
#
# Format: ID~KIND~FILE~SED EXPRESSION~TESTS~WHAT (~ separates the fields:
# the code these rules match has none). KIND is kill (a test must fail) or
# equiv (changes no behaviour; WHAT says why). Lines sharing an ID form one
# mutant (the same mistake where older revisions had the code).
set -u
jobs=2 rev= only= override=
while getopts 'j:r:o:t:' opt; do
	case $opt in
	j) jobs=$OPTARG ;;
	r) rev=$OPTARG ;;
	o) only=$OPTARG ;;      # mutant IDs, separated by spaces
	t) override=$OPTARG ;;  # the tests run for every mutant, instead of its own
	*) echo "usage: $0 [-j JOBS] [-r REV] [-o 'ID...'] [-t 'TEST...']" >&2; exit 2 ;;
	esac
done
top=$(git rev-parse --show-toplevel) || exit 2

mutants() {
	cat <<'EOF'
C1~kill~harness/check.c~/^void bnn_check_int/,/^}/s@i < n; i++@i + 1 < n; i++@~tests/selftest.sh~integer check skips the last element
C2~kill~harness/check.c~/^void bnn_check_float/,/^}/s@i < n; i++@i + 1 < n; i++@~tests/test_judge~float check skips the last element
C3~kill~harness/check.c~s@isnan(out\[i\]) || e > bound\[i\]@isnan(out[i]) || e > 2 * bound[i]@~tests/test_judge~float check allows twice the bound
C4~kill~harness/check.c~s@if (isnan(out\[i\]) || e > bound\[i\])@if (e > bound[i])@~tests/test_harness tests/selftest.sh~float check lets NaN through
C5~kill~harness/check.c~/^void bnn_check_int/,/^}/s@if (e != 0.0)@if (e > 1.0)@~tests/test_judge~integer check tolerates an off-by-one
C6~kill~harness/check.c~s@n < MISTRUST_MIN@n < 1000000@~tests/test_harness~constant references never MISTRUSTED
C7~kill~harness/check.h~s@#define BNN_POISON_FLOAT_BITS 0x7fc05eedu@#define BNN_POISON_FLOAT_BITS 0x00000000u@~tests/test_harness tests/test_judge~float poison is 0.0
C7~kill~harness/check.c~s@o\[i\] = nanf("0x5eed");@o[i] = 0.0f;@~tests/test_harness tests/test_judge~float poison is 0.0
C8~kill~harness/check.c~/^void bnn_poison/,/^}/s@i < n; i++@i < 0; i++@~tests/test_harness tests/selftest.sh~bnn_poison writes nothing
C9~kill~harness/check.c~/^void bnn_poison/,/^}/s@i < n; i++@i < n / 4; i++@~tests/test_harness~bnn_poison fills a quarter
C9~kill~harness/check.c~/^void bnn_poison/,/^}/s@o\[i\] = BNN_POISON_INT;@if (i < n / 4) o[i] = BNN_POISON_INT;@~tests/test_harness~bnn_poison fills a quarter
C10~kill~harness/check.c~s@return bits == BNN_POISON_FLOAT_BITS;@return bits != BNN_POISON_FLOAT_BITS;@~tests/test_harness tests/selftest.sh~never-written and computed NaN swapped
C11~kill~harness/check.c~s@if (out\[first\] == BNN_POISON_INT)@if (out[first] != BNN_POISON_INT)@~tests/test_harness tests/selftest.sh~integer reason: never written and wrong value swapped
B1~kill~harness/bounds.c~s@(float)(g \* alpha@(float)(1000 * g * alpha@~tests/test_judge~BWN bound 1000x looser
B1~kill~harness/runner.c~s@(float)(g \* pd->alpha@(float)(1000 * g * pd->alpha@~tests/test_judge~BWN bound 1000x looser
B2~kill~harness/bounds.c~s@bnn_gamma(3.0)@bnn_gamma(3000.0)@~tests/test_judge~XNOR released bound 1000x looser
B2~kill~harness/runner.c~s@bnn_gamma(3.0)@bnn_gamma(3000.0)@~tests/test_judge~XNOR released bound 1000x looser
B3~kill~harness/bounds.c~s@bnn_gamma((double)(s->c + s->kh \* s->kw + 6))@bnn_gamma((double)(10 * (s->c + s->kh * s->kw + 6)))@~tests/test_judge~XNOR paper bound 10x looser
B3~kill~harness/runner.c~s@bnn_gamma((double)(s->c + taps + 6))@bnn_gamma((double)(10 * (s->c + taps + 6)))@~tests/test_judge~XNOR paper bound 10x looser
B4~kill~harness/bounds.c~s@bnn_gamma((double)(s->kh \* s->kw \* (s->c / s->groups) + 4))@bnn_gamma(1.0)@~tests/test_judge tests/selftest.sh~BWN bound of one rounding, not n + 4
B4~kill~harness/runner.c~s@bnn_gamma((double)(taps \* cg + 4))@bnn_gamma(1.0)@~tests/test_judge tests/selftest.sh~BWN bound of one rounding, not n + 4
B5~kill~harness/reactnet.c~s@bound\[i\] = (float)rprelu_err(ev, t->v\[i\], &p->rp2, o);@bound[i] = (float)(1000 * rprelu_err(ev, t->v[i], \&p->rp2, o));@~tests/test_judge~ReActNet block bound 1000x looser
B6~kill~harness/reactnet.c~0,/bnn_gamma(20)/s@bnn_gamma(20)@bnn_gamma(20000)@~tests/test_judge~ReActNet block: first step's rounding 1000x looser
B7~kill~harness/reactnet.h~s@#define BNN_RNET_LOGIT_TOL (1.0 / 1024)@#define BNN_RNET_LOGIT_TOL (1.0 / 32)@~tests/test_judge~network logits tolerance 32x looser
B9~kill~harness/reactnet.c~s@const float \*y = ref + b \* BNN_RNET_CLASSES;@const float *y = ref;@~tests/test_judge~network bound of every image from the first image's logits
B8~equiv~harness/reactnet.c~s@double lip = fabs((double)rp->slope\[ch\]) > 1 ? fabs((double)rp->slope\[ch\]) : 1.0;@double lip = 1.0;@~tests/test_judge~RPReLU's Lipschitz factor fixed at 1: equivalent for every slope in [-1, 1]; the synthetic weights' slopes lie in [0.2, 0.3], so no test input can tell (a weights file with a slope beyond 1 would)
R1~kill~harness/runner.c~/bnn_poison(pd.out, pd.nout, pd.is_int);/d~tests/selftest.sh tests/test_judge~checked output not poisoned
R2~kill~harness/runner.c~/bnn_poison(pd.out2, pd.nout, pd.is_int);/d~tests/test_judge~timed output not poisoned
R3~kill~harness/runner.c~s@memcmp(pd.out, pd.out2, pd.nout \* 4)@memcmp(pd.out, pd.out2, pd.nout)@~tests/selftest.sh tests/test_judge~timed output compared over a quarter
R4~kill~harness/runner.c~s@} else if (rc == 0 &&$@} else if (rc == 0 \&\& 0 \&\&@~tests/selftest.sh tests/test_judge~timed output never compared
R5~kill~harness/runner.c~s@bnn_check_float(pd->ref, out, pd->bound, pd->nout, c);@bnn_check_float(pd->ref, out, pd->bound, pd->nout - 1, c);@~tests/test_judge~runner checks a float op without its last element
R6~kill~harness/runner.c~s@else if (pd->d.op == BNN_OP_RNET)@else if (0)@~tests/selftest.sh~network judged on its logits alone
F1~kill~reference/ref_core.c~s@return x >= 0.0f ? 1.0f : -1.0f;@return x > 0.0f ? 1.0f : -1.0f;@~tests/test_reference~sign(+0.0) = -1
F2~kill~reference/ref_core.c~s@for (; p < s->k; p++)@for (; p + 1 < s->k; p++)@~tests/test_reference tests/conformance.sh~reference GEMM drops the last K element of the tail
F3~kill~reference/ref_conv.c~s@alpha\[o\] = (float)(sum / (double)per_filter);@alpha[o] = (float)(sum / (double)(per_filter + 1));@~tests/test_judge~alpha divides by n + 1
F4~kill~reference/ref_conv.c~s@acc += bnn_ref_group_channel(s, px, p.o, ci) \* bnn_ref_sign(pw\[ci\]);@acc += bnn_ref_group_channel(s, px, p.o, ci) * (pw[ci] > 0 ? 1.0f : -1.0f);@~tests/test_judge~BWN reference binarizes +0.0 weights to -1
F5~kill~reference/ref_conv.c~s@return box / (double)(s->kh \* s->kw);@return box / (double)(s->kh * s->kw + 1);@~tests/test_judge~K-map box divides by taps + 1
F6~kill~reference/ref_conv.c~s@if (mode == BNN_XNOR_PAPER)@if (mode != BNN_XNOR_PAPER)@~tests/test_judge~released mode gets the K-map, paper mode not
F7~kill~reference/ref_conv.c~s@acc += fabs(bnn_ref_group_channel(s, px, p.o, ci));@acc += bnn_ref_group_channel(s, px, p.o, ci);@~tests/test_judge~BWN bound sums x, not |x|
F8~kill~reference/ref_reactnet.c~s@bnn_ref_sign_i8(x\[i\] + shift\[i % c\])@bnn_ref_sign_i8(x[i] - shift[i % c])@~tests/test_judge~RSign subtracts its shift
F9~kill~reference/ref_reactnet.c~s@v\[i\] = (float)((double)v\[i\] + u\[@v[i] = (float)((double)v[i] - u[@~tests/test_judge~block's second shortcut subtracted
F10~equiv~reference/ref_reactnet.c~s@u\[i / k \* c + i % k % c\]@u[i / k * c + i % c]@~tests/test_judge~shortcut channel i % c for i % k % c: equivalent, since k is c or 2c (both divisible by c), so (q*k + o) % c = o % c
F11~kill~reference/ref_layers.c~s@#define BNN_REF_BN_EPS 1e-5@#define BNN_REF_BN_EPS 1e-4@~tests/test_judge~batch norm epsilon 1e-4
F12~equiv~reference/ref_layers.c~s@if (x\[i\] > g\[ch\])@if (x[i] >= g[ch])@~tests/test_judge~RPReLU tie x == g to the upper branch: equivalent, both branches give z there (doc/bnn-math.md section 6)
F13~kill~reference/ref_layers.c~s@out\[ch\] = (float)(sum / 4.0);@out[ch] = (float)(sum / 3.0);@~tests/test_judge~2x2 average pool divides by 3
F14~kill~reference/ref_reactnet.c~s@p->fc_w, p->fc_b, logits)@p->fc_w, NULL, logits)@~tests/test_judge~network reference drops the FC bias (less than the logits' bound)
F15~kill~reference/ref_layers.c~s@y\[b \* c + ch\] = (float)(sum / (double)(h \* w));@y[b * c + ch] = (float)(sum / (double)(h * w + 1));@~tests/test_judge~global average pool divides by h*w + 1
N1~kill~harness/reactnet.c~/^int bnn_rnet_check_topk/,/^}/s@j < 5; j++@j < 4; j++@~tests/selftest.sh tests/test_judge~top-5 check looks at four classes
N2~kill~harness/reactnet.c~s@if (yr\[tk\[j\]\] < yr\[tr\[4\]\] - tol)@if (yr[tk[j]] < yr[tr[3]] - tol)@~tests/test_judge~top-5 check against the 4th class
N3~kill~harness/reactnet.c~s@if (tk\[0\] != tr\[0\] && yr@if (0 \&\& tk[0] != tr[0] \&\& yr@~tests/test_judge~top-1 check removed
N4~kill~harness/reactnet.c~s@double tol = 2.0 \* bound@double tol = 0.0 * bound@~tests/test_judge~classes: no tolerance
N5~kill~harness/reactnet.c~s@double tol = 2.0 \* bound@double tol = 20.0 * bound@~tests/test_judge~classes: tolerance 10x looser
N6~kill~harness/reactnet.c~s@if (bnn_rnet_check_topk(r, ref, out, bound, classes@if (c->status == BNN_FAIL || bnn_rnet_check_topk(r, ref, out, bound, classes@~tests/selftest.sh tests/test_judge~classes not checked once the logits failed
N7~kill~harness/reactnet.c~s@bnn_check_float(ref, out, bound, (size_t)(r->n \* BNN_RNET_CLASSES), c);@bnn_check_float(ref, out, bound, (size_t)BNN_RNET_CLASSES, c);@~tests/test_judge~logits of the first image only
N8~kill~harness/reactnet.c~s@top5(yr, tr);@top5(yk, tr);@~tests/selftest.sh tests/test_judge~reference's top 5 taken from the kernel's logits
V1~kill~reports/compare.c~s@if ((bpass \&\& !npass) || !strcmp(n->status, "FAIL"))@if (bpass \&\& !npass)@~tests/compare_table.sh~compare: SKIP or MISTRUSTED to FAIL no longer regresses
V2~kill~reports/compare.c~s@else if (npass)@else if (0)@~tests/compare_table.sh~compare: a change to PASS is not IMPROVED
V3~kill~reports/compare.c~s@if (fabs(w->change) <= o->threshold) {@if (fabs(w->change) < 0.5 * o->threshold) {@~tests/compare_table.sh~compare: half the noise threshold
V4~kill~reports/compare.c~s@} else if (w->lo <= 0 \&\& w->hi >= 0) {@} else if (0) {@~tests/rounds.sh~compare: REGRESSED beside an interval spanning zero
V5~kill~reports/compare.c~s@count\[V_REGRESSED\] || (o.strict \&\& count\[V_NOISY\])@count[V_REGRESSED]@~tests/rounds.sh~compare: --strict ignores NOISY
EOF
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/judge-mutants.XXXXXX") || exit 2
echo "judge-mutants: scratch $scratch"
mkdir -p "$scratch/src" "$scratch/build" "$scratch/orig" "$scratch/logs"
if [ -n "$rev" ]; then
	git -C "$top" archive "$rev" | tar -x -C "$scratch/src" || exit 2
else
	(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -x -C "$scratch/src" || exit 2
fi
src=$scratch/src build=$scratch/build
echo "judge-mutants: building ($src, ${rev:-working tree})"
if ! (cd "$src" && autoreconf -fi && cd "$build" && "$src/configure" --without-cuda &&
	make -j"$jobs") >"$scratch/logs/build.log" 2>&1; then
	echo "judge-mutants: the unmutated tree does not build: $scratch/logs/build.log"
	exit 2
fi

# The tests a mutant names that this tree has (an older revision may lack some).
present() {
	local t out=
	for t in $1; do
		if [ -f "$src/$t" ] || [ -f "$src/$t.c" ]; then
			out="$out $t"
		fi
	done
	echo "${out# }"
}

# run_tests TESTS LOG: make check on those tests; the failing ones on stdout.
run_tests() {
	(cd "$build" && make -j"$jobs" check TESTS="$1") >"$2" 2>&1
	local rc=$?
	grep -E '^(FAIL|ERROR):' "$2" | sed -E 's/^(FAIL|ERROR): ([^ ]+).*/\2/' | sort -u |
		tr '\n' ' '
	return $rc
}

all_tests=${override:-$(mutants | cut -d'~' -f5 | tr ' ' '\n' | sort -u | tr '\n' ' ')}
all_tests=$(present "$all_tests")
echo "judge-mutants: unmutated: $all_tests"
if ! failed=$(run_tests "$all_tests" "$scratch/logs/unmutated.log"); then
	echo "judge-mutants: the unmutated tree fails ($failed): $scratch/logs/unmutated.log"
	exit 2
fi

caught=0 survived=0 equiv=0 na=0 broken=0
ids=$(mutants | cut -d'~' -f1 | awk '!seen[$0]++')
for id in $ids; do
	case " $only " in
	"  " | *" $id "*) ;;
	*) continue ;;
	esac
	applied= kind= tests= what=
	while IFS='~' read -r mid mkind mfile mexpr mtests mwhat; do
		[ "$mid" = "$id" ] || continue
		kind=$mkind tests=$mtests what=$mwhat
		[ -f "$src/$mfile" ] || continue
		# The original, once per file: several rules may change one file.
		if [ ! -f "$scratch/orig/$mfile" ]; then
			mkdir -p "$scratch/orig/$(dirname "$mfile")"
			cp "$src/$mfile" "$scratch/orig/$mfile"
		fi
		sed -i -e "$mexpr" "$src/$mfile"
		if ! cmp -s "$src/$mfile" "$scratch/orig/$mfile"; then
			case " $applied " in
			*" $mfile "*) ;;
			*) applied="$applied $mfile" ;;
			esac
		fi
	done < <(mutants)
	tests=$(present "${override:-$tests}")
	log=$scratch/logs/$id.log
	if [ -z "$applied" ]; then
		result="n/a (the rule matches nothing here)"
		na=$((na + 1))
	elif ! (cd "$build" && make -j"$jobs") >"$log" 2>&1; then
		result="BUILD FAILED (fix the rule)"
		broken=$((broken + 1))
	elif failed=$(run_tests "$tests" "$log.check"); then
		if [ "$kind" = equiv ]; then
			result="equivalent (survives, as expected)"
			equiv=$((equiv + 1))
		else
			result="SURVIVED ($tests)"
			survived=$((survived + 1))
		fi
	else
		result="caught by ${failed:-the build of the tests}"
		if [ "$kind" = equiv ]; then
			result="$result (marked equivalent: fix the table)"
			broken=$((broken + 1))
		else
			caught=$((caught + 1))
		fi
	fi
	# Restore every file a rule was tried on, with a fresh time stamp, so
	# that make rebuilds what the mutant touched.
	(cd "$scratch/orig" && find . -type f) | while read -r f; do
		if ! cmp -s "$scratch/orig/$f" "$src/$f"; then
			cp "$scratch/orig/$f" "$src/$f"
			touch "$src/$f"
		fi
		rm -f "$scratch/orig/$f"
	done
	printf '%-4s %-52s %s\n' "$id" "${what:0:52}" "$result"
done
total=$((caught + survived))
echo "judge-mutants: $caught caught, $survived survived, $equiv equivalent, $na not applicable," \
	"$broken broken rules"
if [ "$total" -gt 0 ]; then
	echo "judge-mutants: score $caught / $total = $((100 * caught / total))%"
fi
echo "judge-mutants: logs in $scratch/logs"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
