/* The records of traj-stats: see tsrecord.h. */
#include <math.h>
#include <stdio.h>

#include "stream.h"
#include "tsrecord.h"
#include "util.h"

static void
out_longs(const long *v, int n)
{
	out_char('[');
	for (int k = 0; k < n; k++) {
		if (k)
			out_char(',');
		out_long(v[k]);
	}
	out_char(']');
}

static void
out_bool(int b)
{
	out_str(b ? "true" : "false");
}

static void
write_repetition(const double *seq_rep, const double *distinct_n,
    const double *rep)
{
	char key[32];

	out_char('{');
	for (int n = 1; n <= TS_NGRAMS; n++) {
		snprintf(key, sizeof key, "%s\"seq_rep_%d\":", n > 1 ? "," : "", n);
		out_str(key);
		out_double_or_null(seq_rep[n - 1]);
		snprintf(key, sizeof key, ",\"distinct_%d\":", n);
		out_str(key);
		out_double_or_null(distinct_n[n - 1]);
	}
	for (int k = 0; k < TS_NREP; k++) {
		snprintf(key, sizeof key, ",\"rep_%d\":", ts_rep_lengths[k]);
		out_str(key);
		out_double_or_null(rep[k]);
	}
	out_char('}');
}

/* "key_N": count / total, or null when total is 0. */
static void
out_ratio(const char *key, int n, long count, long total)
{
	char k[48];

	snprintf(k, sizeof k, ",\"%s_%d\":", key, n);
	out_str(k);
	if (total)
		out_double((double)count / (double)total);
	else
		out_str("null");
}

/* The published measures of one trajectory (repetition.h). */
static void
write_published(const struct pub_seq *p)
{
	char k[48];

	out_str(",\"published\":{\"uniq_seq\":");
	out_long(p->distinct[0]);
	for (int n = 1; n <= PUB_NGRAMS; n++) {       /* as their code has it */
		snprintf(k, sizeof k, ",\"seq_rep_%d\":", n);
		out_str(k);
		out_double_or_null(p->ngrams[n - 1] ? 1 - (double)p->distinct[n - 1] /
		    (double)p->ngrams[n - 1] : NAN);
	}
	for (int n = 1; n <= PUB_NGRAMS; n++)
		out_ratio("distinct", n, p->distinct[n - 1], p->targets);
	for (int i = 0; i < PUB_NREP; i++)
		out_ratio("rep", pub_rep_lengths[i], p->rep_hits[i], p->targets);
	for (int i = 0; i < PUB_NREP; i++)
		out_ratio("next_rep", pub_rep_lengths[i], p->next_hits[i],
		    p->have_next ? p->targets : 0);
	for (int i = 0; i < PUB_NREP; i++)
		out_ratio("next_wrep", pub_rep_lengths[i], p->next_whits[i],
		    p->have_next ? p->targets : 0);
	out_str(",\"next_uniq\":");
	if (p->have_next)
		out_long(p->nuniq);
	else
		out_str("null");
	out_char('}');
}

/* The same over all trajectories: per-sequence means where the papers'
 * code averages sequences, totals over tokens where it sums them, and
 * distinct-n over the corpus. */
static void
write_published_summary(const struct ts_summary *s)
{
	char k[48];

	out_str(",\"published\":{\"uniq_seq\":");
	out_long((long)s->corpus.n[0]);
	for (int n = 1; n <= PUB_NGRAMS; n++) {
		snprintf(k, sizeof k, ",\"seq_rep_%d\":", n);
		out_str(k);
		out_double_or_null(s->pub_seq_n[n - 1] ? s->pub_seq_rep[n - 1] /
		    (double)s->pub_seq_n[n - 1] : NAN);
	}
	for (int n = 1; n <= PUB_NGRAMS; n++)
		out_ratio("distinct", n, (long)s->corpus.n[n - 1], s->corpus.tokens);
	for (int n = 1; n <= PUB_NGRAMS; n++) {
		snprintf(k, sizeof k, ",\"distinct_per_sequence_%d\":", n);
		out_str(k);
		out_double_or_null(s->pub_li_n[n - 1] ? s->pub_li_seq[n - 1] /
		    (double)s->pub_li_n[n - 1] : NAN);
	}
	for (int i = 0; i < PUB_NREP; i++)
		out_ratio("rep", pub_rep_lengths[i], s->pub_hits[i], s->pub_targets);
	for (int i = 0; i < PUB_NREP; i++)
		out_ratio("next_rep", pub_rep_lengths[i], s->pub_next_hits[i],
		    s->pub_next_targets);
	for (int i = 0; i < PUB_NREP; i++)
		out_ratio("next_wrep", pub_rep_lengths[i], s->pub_next_whits[i],
		    s->pub_next_targets);
	out_str(",\"next_uniq\":");
	if (s->pub_next_targets)
		out_long(s->pub_nuniq);
	else
		out_str("null");
	out_char('}');
}

/* The winners of r by a rule, or null where it is undefined. */
static void
write_winners(const struct ts_result *r, int rule, const struct vocab *v)
{
	const int *mask = ts_winner_mask(r, rule);
	int *set, n;

	if (!mask) {
		out_str("null");
		return;
	}
	set = xmalloc((size_t)(r->nsym ? r->nsym : 1) * sizeof *set);
	n = ts_tokens_of(r, mask, set);
	out_tokens(set, n, v);
	free(set);
}

/* A number, null where it is undefined or unbounded. */
static void
out_finite_or_null(double x)
{
	if (isfinite(x))
		out_double(x);
	else
		out_str("null");
}

/* The classes, exponents and intervals, and the verdict they give. */
static void
write_classes(const struct ts_result *r, const struct vocab *v)
{
	static const char *const name[] = { "undecided", "winners", "losers" };
	static const int order[] = { TS_WINNER, TS_LOSER, TS_UNDECIDED };
	int *set = xmalloc((size_t)(r->nsym ? r->nsym : 1) * sizeof *set);
	int *mask = xmalloc((size_t)(r->nsym ? r->nsym : 1) * sizeof *mask);

	out_str("\"classes\":{");
	for (int c = 0; c < 3; c++) {
		for (int k = 0; k < r->nsym; k++)
			mask[k] = r->cls[k] == order[c];
		out_str(c ? ",\"" : "\"");
		out_str(name[order[c]]);
		out_str("\":");
		out_tokens(set, ts_tokens_of(r, mask, set), v);
	}
	out_str("},\"gamma\":[");
	for (int k = 0; k < r->nsym; k++) {
		if (k)
			out_char(',');
		out_finite_or_null(r->gamma_hat[k]);
	}
	out_str("],\"gamma_ci\":[");
	for (int k = 0; k < r->nsym; k++) {
		if (k)
			out_char(',');
		if (isnan(r->lo[k])) {
			out_str("null");
			continue;
		}
		out_char('[');
		out_finite_or_null(r->lo[k]);
		out_char(',');
		out_finite_or_null(r->hi[k]);
		out_char(']');
	}
	out_str("],\"loser_p\":");
	out_doubles_or_null(r->loser_p, r->nsym);
	out_str(",\"trajectory_p\":");
	out_double_or_null(r->traj_p);
	out_str(",\"test\":");
	out_str(r->model_test ? "\"model\"" : "\"model-free\"");
	out_str(",\"collapsed\":");
	out_str(r->collapsed < 0 ? "null" : r->collapsed ? "true" : "false");
	out_str(",\"collapse_time\":");
	if (r->collapse >= 0)
		out_long(r->collapse);
	else
		out_str("null");
	out_str(",\"collapse_ci\":");
	if (r->collapse >= 0) {
		out_char('[');
		out_long(r->collapse_lo);
		out_char(',');
		out_long(r->collapse_hi);
		out_char(']');
	} else
		out_str("null");
	out_str(",\"why\":");
	if (ts_why[r->why])
		out_quoted(ts_why[r->why]);
	else
		out_str("null");
	free(mask);
	free(set);
}

/* An attractor, or the limit from the prompt, without its closing brace. */
static void
write_point(const struct mf_point *p, const struct vocab *v)
{
	out_str("{\"tokens\":");
	out_tokens(p->tokens, p->n, v);
	out_str(",\"f\":");
	out_doubles(p->f, p->n);
}

/* Where the mean field is known to be poor (traj-stats(1)). */
#define MF_TESTED_SUPPORT 16
static const char caveat[] = "support of more than 16 tokens: the mean "
    "field is verified on supports of 5 to 8 tokens (attn-ccmc(7), E4) and "
    "was consistent with 0 of 5 trajectories at 512 tokens; an estimate";

static void
write_prediction(const struct prediction *p, const struct vocab *v)
{
	const struct mf_set *set = p->set;

	out_str(",\"prediction\":{\"support\":");
	out_tokens(p->pb->tokens, p->pb->n, v);
	out_str(",\"caveat\":");
	if (p->pb->n > MF_TESTED_SUPPORT)
		out_quoted(caveat);
	else
		out_str("null");
	out_str(",\"attractors\":[");
	for (int a = 0; a < set->count; a++) {
		if (a)
			out_char(',');
		write_point(&set->a[a], v);
		out_str(",\"basin\":");
		out_double(set->a[a].basin);
		out_char('}');
	}
	if (p->extra) {
		if (set->count)
			out_char(',');
		write_point(&p->lim, v);
		out_str(",\"basin\":0}");
	}
	out_str("],\"starts\":");
	out_long(set->starts);
	out_str(",\"unresolved\":");
	out_long(set->unresolved);
	out_str(",\"cycling\":");
	out_long(set->cycling);
	out_str(",\"from_prompt\":");
	write_point(&p->lim, v);
	out_str(",\"status\":\"");
	out_str(mf_status_name(p->status));
	out_str("\",\"rates\":");
	out_doubles_or_null(p->lim.c, p->pb->n);
	out_char('}');
	for (int k = 0; k < TS_NRULES; k++) {
		out_str(",\"");
		out_str(ts_rule_names[k]);
		out_str("\":");
		if (!p->rule[k].judged) {
			out_str("null");
			continue;
		}
		out_str("{\"in_attractors\":");
		out_bool(p->rule[k].in_attractors);
		out_str(",\"from_prompt\":");
		out_bool(p->rule[k].from_prompt);
		out_char('}');
	}
	out_str(",\"classes\":");
	if (p->decided) {
		out_str("{\"consistent\":");
		out_bool(p->attractors.consistent);
		out_str(",\"exact\":");
		out_bool(p->attractors.exact);
		out_str(",\"from_prompt\":{\"consistent\":");
		out_bool(p->from_prompt.consistent);
		out_str(",\"exact\":");
		out_bool(p->from_prompt.exact);
		out_str("}}");
	} else
		out_str("null");
	out_char('}');
}

/* Why a trajectory of the ordinary chain has no prediction. */
static const char markov_why[] = "chain is markov: the mean field is of "
    "the CCMC (--predict-markov predicts anyway)";

/* One trajectory's record; pred may be NULL, and is when a prediction was
 * skipped for a chain markov trajectory. */
void
tsrecord_write(long index, const struct ts_result *r, int markov, int skipped,
    const struct prediction *pred, const struct vocab *v)
{
	out_str("{\"type\":\"traj-stats\",\"index\":");
	out_long(index);
	out_str(",\"prompt_length\":");
	out_long(r->L);
	out_str(",\"length\":");
	out_long(r->T);
	if (markov)
		out_str(",\"chain\":\"markov\"");
	out_str(",\"distinct\":");
	out_long(r->distinct);
	out_str(",\"distinct_context\":");
	out_long(r->nsym);
	out_str(",\"final\":{\"tokens\":");
	out_tokens(r->sym, r->nsym, v);
	out_str(",\"counts\":");
	out_longs(r->count, r->nsym);
	out_str(",\"freq\":[");
	for (int k = 0; k < r->nsym; k++) {
		if (k)
			out_char(',');
		out_double((double)r->count[k] / (double)(r->L + r->T));
	}
	out_str("]},\"growth\":");
	if (r->winner_growth) {
		out_str("{\"from\":");
		out_long(r->t1);
		out_str(",\"to\":");
		out_long(r->T);
		out_str(",\"exponent\":");
		out_doubles_or_null(r->gamma, r->nsym);
		out_char('}');
	} else
		out_str("null");
	out_str(",\"winners\":{\"window\":");
	write_winners(r, TS_WINDOW, v);
	out_str(",\"growth\":");
	write_winners(r, TS_GROWTH, v);
	out_str("},");
	write_classes(r, v);
	out_str(",\"curve\":{\"t\":");
	out_longs(r->t, r->npoints);
	out_str(",\"top1\":");
	out_doubles(r->top1, r->npoints);
	out_str(",\"winner_share\":");
	if (r->share)
		out_doubles(r->share, r->npoints);
	else
		out_str("null");
	out_str(",\"entropy\":");
	out_doubles(r->entropy, r->npoints);
	out_str("},\"repetition\":");
	write_repetition(r->seq_rep, r->distinct_n, r->rep);
	write_published(&r->pub);
	if (pred)
		write_prediction(pred, v);
	else if (skipped) {
		out_str(",\"prediction\":null,\"prediction_why\":");
		out_quoted(markov_why);
	}
	out_char('}');
	out_end();
}

/* count / total, null when there is no total. */
static void
out_share(long count, long total)
{
	if (total)
		out_double((double)count / (double)total);
	else
		out_str("null");
}

/* "consistent" and "exact", counts then shares of the decided. */
static void
write_agreement(long consistent, long exact, long decided)
{
	out_str("{\"consistent\":");
	out_long(consistent);
	out_str(",\"exact\":");
	out_long(exact);
	out_str(",\"shares\":{\"consistent\":");
	out_share(consistent, decided);
	out_str(",\"exact\":");
	out_share(exact, decided);
	out_str("}}");
}

/* A histogram as a map a reader can read, size -> count, sizes that
 * occur only, ascending. */
static void
out_histogram(const long *count, int n)
{
	char key[32];
	int first = 1;

	out_char('{');
	for (int k = 0; k < n; k++) {
		if (!count[k])
			continue;
		snprintf(key, sizeof key, "%s\"%d\":", first ? "" : ",", k);
		out_str(key);
		out_long(count[k]);
		first = 0;
	}
	out_char('}');
}

void
tsrecord_write_summary(const struct ts_summary *s, const struct vocab *v)
{
	static const char *const verdict[] = { "collapsed", "not_collapsed",
	    "undecided" };

	out_str("{\"type\":\"traj-stats\",\"summary\":true,\"trajectories\":");
	out_long(s->trajectories);
	out_str(",\"winner_set_size\":{\"window\":");
	out_histogram(s->size_window, s->maxsize);
	out_str(",\"growth\":");
	out_histogram(s->size_growth, s->maxsize);
	out_str(",\"growth_undefined\":");
	out_long(s->growth_undefined);
	out_str("},\"classes\":{");
	for (int k = 0; k < 3; k++) {
		out_str(k ? ",\"" : "\"");
		out_str(verdict[k]);
		out_str("\":");
		out_long(s->verdicts[k]);
	}
	out_str(",\"shares\":{");
	for (int k = 0; k < 3; k++) {
		out_str(k ? ",\"" : "\"");
		out_str(verdict[k]);
		out_str("\":");
		out_share(s->verdicts[k], s->trajectories);
	}
	out_str("},\"winner_tokens\":{");
	for (int k = 0; k < s->nwon; k++) {
		char id[16];

		if (k)
			out_char(',');
		if (v && s->won[k] < v->n)
			out_quoted(v->word[s->won[k]]);
		else {
			snprintf(id, sizeof id, "\"%d\"", s->won[k]);
			out_str(id);
		}
		out_char(':');
		out_long(s->won_n[k]);
	}
	out_str("},\"winner_set_size\":");
	out_histogram(s->decided_size, s->maxwin);
	out_str("},\"collapse_time\":{\"trajectories\":");
	out_long(s->timed);
	out_str(",\"mean\":");
	out_double_or_null(s->collapse_mean);
	out_str(",\"median\":");
	out_double_or_null(s->collapse_median);
	out_str("},\"curve\":{\"t\":");
	out_longs(s->t, s->npoints);
	out_str(",\"trajectories\":");
	out_longs(s->n, s->npoints);
	out_str(",\"top1\":");
	out_doubles(s->top1, s->npoints);
	out_str(",\"winner_share\":");
	out_doubles_or_null(s->share, s->npoints);
	out_str(",\"entropy\":");
	out_doubles(s->entropy, s->npoints);
	out_str("},\"repetition\":");
	write_repetition(s->seq_rep, s->distinct_n, s->rep);
	write_published_summary(s);
	out_str(",\"prediction\":");
	if (s->predicted || s->skipped_markov) {
		out_str("{\"trajectories\":");
		out_long(s->predicted);
		out_str(",\"decided\":");
		out_long(s->decided);
		out_str(",\"attractors\":");
		write_agreement(s->agree_attractors.consistent,
		    s->agree_attractors.exact, s->decided);
		out_str(",\"from_prompt\":");
		write_agreement(s->agree_prompt.consistent, s->agree_prompt.exact,
		    s->decided);
		out_str(",\"skipped_markov\":");
		out_long(s->skipped_markov);
		out_char('}');
	} else
		out_str("null");
	out_char('}');
	out_end();
}
