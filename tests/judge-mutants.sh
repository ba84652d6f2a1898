#!/bin/bash
# judge-mutants.sh: a mutation test of the judge. Each mutant below is one
# small, realistic change (a sed rule) to the references, the checker, the
# bound builders, the poison and timed-output checks or the ReActNet logits
# and classes check. The script copies the tree to a scratch folder, checks
# that every rule still changes its file, builds the tree once (configure
# --without-cuda), then for each mutant applies its rules, rebuilds, runs the
# tests named for it and restores the files. A mutant is caught when one of
# those tests fails; the score is caught / (mutants - equivalent). Not run by
# `make check` or .ci/run (about 20 minutes on two loaded cores: a first
# build, then some 16 s a mutant; doc/checks.md records the latest run);
# run it by hand, from the top of the source tree, after changing the judge
# or its tests:
#
#     tests/judge-mutants.sh              # the working tree's tracked files
#     tests/judge-mutants.sh -r REV       # a committed revision instead
#     tests/judge-mutants.sh -j 4 -o ID   # 4 make jobs; only mutant ID
#     tests/judge-mutants.sh -o 'C1 B2' -t 'tests/selftest.sh tests/cli.sh'
#                                         # those mutants, against those tests
#     tests/judge-mutants.sh -n [-s DIR]  # only check the rules (TAP, seconds)
#
# It prints one line per mutant and the score, keeps the scratch folder (its
# path is printed; logs/ID.log holds each mutant's build and test output)
# and exits 0 when every non-equivalent mutant was caught.
#
# Every rule must change its file. A rule whose sed leaves its file unchanged
# (or whose file or tests are gone) is stale: the code it mutated was
# rewritten, and the guard it tested would silently go untested. The script
# then stops before building (exit 1) and names the rule: port it to the new
# code and check that the ported mutant is caught. -n does only this check,
# without building; tests/judge-rules.sh runs it in every make check. The
# rules describe this revision's code; for an older revision, run that
# revision's own script (git show REV:tests/judge-mutants.sh).
#
# Format: ID~KIND~FILE~SED EXPRESSION~TESTS~WHAT (~ separates the fields:
# the code these rules match has none). KIND is kill (a test must fail) or
# equiv (changes no behaviour). An equivalent mutant is allowed only with its
# reason: its WHAT must say ": equivalent" and why, or the check refuses it.
# Lines sharing an ID form one mutant, applied in order (each must change its
# file). Lines starting with # are comments.
set -u
jobs=2 rev= only= override= dry= srcdir=
while getopts 'j:r:o:t:ns:' opt; do
	case $opt in
	j) jobs=$OPTARG ;;
	r) rev=$OPTARG ;;
	o) only=$OPTARG ;;      # mutant IDs, separated by spaces
	t) override=$OPTARG ;;  # the tests run for every mutant, instead of its own
	n) dry=1 ;;             # check the rules only
	s) srcdir=$OPTARG ;;    # the tree the rules are checked against (with -n)
	*) echo "usage: $0 [-j JOBS] [-r REV] [-o 'ID...'] [-t 'TEST...'] | $0 -n [-s DIR]" >&2
	   exit 2 ;;
	esac
done

mutants() {
	sed -e '/^#/d' -e '/^$/d' <<'EOF'
C1~kill~harness/check.c~/^void bnn_check_int/,/^}/s@i < n; i++@i + 1 < n; i++@~tests/selftest.sh~integer check skips the last element
C2~kill~harness/check.c~/^void bnn_check_float/,/^}/s@i < n; i++@i + 1 < n; i++@~tests/test_judge~float check skips the last element
C3~kill~harness/check.c~s@isnan(out\[i\]) || e > bound\[i\]@isnan(out[i]) || e > 2 * bound[i]@~tests/test_judge~float check allows twice the bound
C4~kill~harness/check.c~s@if (isnan(out\[i\]) || e > bound\[i\])@if (e > bound[i])@~tests/test_harness tests/selftest.sh~float check lets NaN through
C5~kill~harness/check.c~/^void bnn_check_int/,/^}/s@if (e != 0.0)@if (e > 1.0)@~tests/test_judge~integer check tolerates an off-by-one
C6~kill~harness/check.c~s@n < MISTRUST_MIN@n < 1000000@~tests/test_harness~constant references never MISTRUSTED
C7~kill~harness/check.h~s@#define BNN_POISON_FLOAT_BITS 0x7fc05eedu@#define BNN_POISON_FLOAT_BITS 0x00000000u@~tests/test_harness tests/test_judge~float poison is 0.0
C8~kill~harness/check.c~/^void bnn_poison/,/^}/s@i < n; i++@i < 0; i++@~tests/test_harness tests/selftest.sh~bnn_poison writes nothing
C9~kill~harness/check.c~/^void bnn_poison/,/^}/s@i < n; i++@i < n / 4; i++@~tests/test_harness~bnn_poison fills a quarter
C10~kill~harness/check.c~s@return bits == BNN_POISON_FLOAT_BITS;@return bits != BNN_POISON_FLOAT_BITS;@~tests/test_harness tests/selftest.sh~never-written and computed NaN swapped
C11~kill~harness/check.c~s@if (out\[first\] == BNN_POISON_INT)@if (out[first] != BNN_POISON_INT)@~tests/test_harness tests/selftest.sh~integer reason: never written and wrong value swapped
B1~kill~harness/bounds.c~s@(float)(g \* alpha@(float)(1000 * g * alpha@~tests/test_judge~BWN bound 1000x looser
B2~kill~harness/bounds.c~s@bnn_gamma(3.0)@bnn_gamma(3000.0)@~tests/test_judge~XNOR released bound 1000x looser
B3~kill~harness/bounds.c~s@bnn_gamma((double)(s->c + s->kh \* s->kw + 6))@bnn_gamma((double)(10 * (s->c + s->kh * s->kw + 6)))@~tests/test_judge~XNOR paper bound 10x looser
B4~kill~harness/bounds.c~s@bnn_gamma((double)(s->kh \* s->kw \* (s->c / s->groups) + 4))@bnn_gamma(1.0)@~tests/test_judge tests/selftest.sh~BWN bound of one rounding, not n + 4
B5~kill~harness/reactnet.c~s@bound\[i\] = (float)rprelu_err(ev, t->v\[i\], &p->rp2, o);@bound[i] = (float)(1000 * rprelu_err(ev, t->v[i], \&p->rp2, o));@~tests/test_judge~ReActNet block bound 1000x looser
B6~kill~harness/reactnet.c~0,/bnn_gamma(20)/s@bnn_gamma(20)@bnn_gamma(20000)@~tests/test_judge~ReActNet block: first step's rounding 1000x looser
B7~kill~harness/reactnet.h~s@#define BNN_RNET_LOGIT_TOL (1.0 / 1024)@#define BNN_RNET_LOGIT_TOL (1.0 / 32)@~tests/test_judge~network logits tolerance 32x looser
B9~kill~harness/reactnet.c~s@const float \*y = ref + b \* BNN_RNET_CLASSES;@const float *y = ref;@~tests/test_judge~network bound of every image from the first image's logits
B8~equiv~harness/reactnet.c~s@double lip = fabs((double)rp->slope\[ch\]) > 1 ? fabs((double)rp->slope\[ch\]) : 1.0;@double lip = 1.0;@~tests/test_judge~RPReLU's Lipschitz factor fixed at 1: equivalent for every slope in [-1, 1]; the synthetic weights' slopes lie in [0.2, 0.3], so no test input can tell (a weights file with a slope beyond 1 would)
# R1-R4: the runner poisons the output before the checked run (R1) and before
# every timed round (R2), and compares the last timed repetition's output
# with the checked one by a hash of all their bytes (R3, R4). R1 deletes the
# checked output's poisoning, R2 the timed output's; R3 hashes only the first
# quarter of the bytes of both outputs; R4 removes the comparison.
R1~kill~harness/runner.c~/bnn_poison(pd->out, pd->nout, pd->is_int);/d~tests/selftest.sh tests/test_judge~checked output not poisoned
R2~kill~harness/runner.c~/bnn_poison(pd->out2, pd->nout, pd->is_int);/d~tests/test_judge~timed output not poisoned
R3~kill~harness/runner.c~s@bnn_hash_bytes(\(pd->out2\{0,1\}\), pd->nout \* 4)@bnn_hash_bytes(\1, pd->nout)@~tests/selftest.sh tests/test_judge~timed output compared over a quarter
R4~kill~harness/runner.c~s@} else if (rc == 0 && bnn_hash_bytes@} else if (rc == 0 \&\& 0 \&\& bnn_hash_bytes@~tests/selftest.sh tests/test_judge~timed output never compared
R5~kill~harness/runner.c~s@bnn_check_float(pd->ref, out, pd->bound, pd->nout, c);@bnn_check_float(pd->ref, out, pd->bound, pd->nout - 1, c);@~tests/test_judge~runner checks a float op without its last element
R6~kill~harness/runner.c~s@else if (pd->d.op == BNN_OP_RNET)@else if (0)@~tests/selftest.sh~network judged on its logits alone
# F1: bnn_ref_sign gives -1 for x < 0 only, so +0.0 (and -0.0) give +1; the
# mutant compares x <= 0, giving -1 for both zeros.
F1~kill~reference/ref_core.c~s@return x < 0.0f ? -1.0f : 1.0f;@return x <= 0.0f ? -1.0f : 1.0f;@~tests/test_reference~sign(+0.0) = -1
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

# check_rules DIR: every rule against the tree DIR, without building, as TAP
# (a point per rule line). A rule fails when its file or one of its tests is
# gone, its sed fails or leaves its file unchanged (the file as the mutant's
# earlier lines left it), its kind is unknown, or it is marked equivalent
# without saying why. Returns 1 when one failed.
check_rules() {
	local dir=$1 tmp n=0 bad=0 prev= seen=' ' id kind file expr tests what t why
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/judge-rules.XXXXXX") || return 2
	echo "1..$(mutants | wc -l)"
	while IFS='~' read -r id kind file expr tests what; do
		n=$((n + 1))
		why=
		if [ "$id" != "$prev" ]; then
			# A new mutant: its lines start from the tree's files.
			case $seen in
			*" $id "*) why="the lines of mutant $id are not together" ;;
			esac
			seen="$seen$id "
			prev=$id
			rm -rf "$tmp/m"
		fi
		case $kind in
		kill) ;;
		equiv)
			case $what in
			*": equivalent"?????*) ;;
			*) why="${why:+$why; }marked equivalent without the reason" ;;
			esac ;;
		*) why="${why:+$why; }kind '$kind' is neither kill nor equiv" ;;
		esac
		[ -n "$tests" ] || why="${why:+$why; }no tests named"
		for t in $tests; do
			if [ ! -f "$dir/$t" ] && [ ! -f "$dir/$t.c" ]; then
				why="${why:+$why; }test $t is gone"
			fi
		done
		if [ ! -f "$dir/$file" ]; then
			why="${why:+$why; }$file is gone"
		else
			if [ ! -f "$tmp/m/$file" ]; then
				mkdir -p "$tmp/m/$(dirname "$file")"
				cp "$dir/$file" "$tmp/m/$file"
			fi
			if ! sed -e "$expr" "$tmp/m/$file" >"$tmp/new" 2>"$tmp/err"; then
				why="${why:+$why; }its sed fails: $(head -n 1 "$tmp/err")"
			elif cmp -s "$tmp/new" "$tmp/m/$file"; then
				why="${why:+$why; }stale: the rule changes nothing in $file (port it to the code)"
			else
				cp "$tmp/new" "$tmp/m/$file"
			fi
		fi
		if [ -z "$why" ]; then
			echo "ok $n - $id $file: $what"
		else
			echo "not ok $n - $id $file: $why"
			bad=$((bad + 1))
		fi
	done < <(mutants)
	rm -rf "$tmp"
	[ "$bad" -eq 0 ]
}

if [ -n "$dry" ]; then
	if [ -z "$srcdir" ]; then
		srcdir=$(git rev-parse --show-toplevel) || exit 2
	fi
	check_rules "$srcdir"
	exit
fi
top=$(git rev-parse --show-toplevel) || exit 2

scratch=$(mktemp -d "${TMPDIR:-/tmp}/judge-mutants.XXXXXX") || exit 2
echo "judge-mutants: scratch $scratch"
mkdir -p "$scratch/src" "$scratch/build" "$scratch/orig" "$scratch/logs"
if [ -n "$rev" ]; then
	git -C "$top" archive "$rev" | tar -x -C "$scratch/src" || exit 2
else
	(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -x -C "$scratch/src" || exit 2
fi
src=$scratch/src build=$scratch/build
if ! check_rules "$src" >"$scratch/logs/rules.tap"; then
	echo "judge-mutants: rules that no longer mutate what they name (nothing built):"
	grep '^not ok' "$scratch/logs/rules.tap"
	exit 1
fi
echo "judge-mutants: building ($src, ${rev:-working tree})"
if ! (cd "$src" && autoreconf -fi && cd "$build" && "$src/configure" --without-cuda &&
	make -j"$jobs") >"$scratch/logs/build.log" 2>&1; then
	echo "judge-mutants: the unmutated tree does not build: $scratch/logs/build.log"
	exit 2
fi

# The tests of a list that this tree has (-t may name tests it lacks; the
# rules' own tests are checked by check_rules).
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

caught=0 survived=0 equiv=0 broken=0
ids=$(mutants | cut -d'~' -f1 | awk '!seen[$0]++')
for id in $ids; do
	case " $only " in
	"  " | *" $id "*) ;;
	*) continue ;;
	esac
	applied= stale= kind= tests= what=
	while IFS='~' read -r mid mkind mfile mexpr mtests mwhat; do
		[ "$mid" = "$id" ] || continue
		kind=$mkind tests=$mtests what=$mwhat
		if [ ! -f "$src/$mfile" ]; then
			stale="$stale $mfile"
			continue
		fi
		# The original, once per file: several rules may change one file.
		if [ ! -f "$scratch/orig/$mfile" ]; then
			mkdir -p "$scratch/orig/$(dirname "$mfile")"
			cp "$src/$mfile" "$scratch/orig/$mfile"
		fi
		cp "$src/$mfile" "$scratch/before"
		sed -i -e "$mexpr" "$src/$mfile"
		if cmp -s "$src/$mfile" "$scratch/before"; then
			stale="$stale $mfile"
		else
			case " $applied " in
			*" $mfile "*) ;;
			*) applied="$applied $mfile" ;;
			esac
		fi
	done < <(mutants)
	tests=$(present "${override:-$tests}")
	log=$scratch/logs/$id.log
	if [ -n "$stale" ]; then
		result="STALE (a rule changes nothing in:$stale; port it)"
		broken=$((broken + 1))
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
echo "judge-mutants: $caught caught, $survived survived, $equiv equivalent," \
	"$broken broken or stale rules"
if [ "$total" -gt 0 ]; then
	echo "judge-mutants: score $caught / $total = $((100 * caught / total))%"
fi
echo "judge-mutants: logs in $scratch/logs"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
