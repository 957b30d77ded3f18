/*
 * attn-sample: draw prompts and their next tokens, or whole trajectories,
 * from an attention model (through its forward pass) or from a CCMC, and
 * print them after the model record itself, so that every stream carries
 * its own ground truth.
 *
 * Sample (or trajectory) number i, counted over the whole run, draws from
 * its own random stream i, prompt first: a shard of the run prints exactly
 * the records the whole run prints for its block of indices.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "generate.h"
#include "model.h"
#include "progress.h"
#include "prompts.h"
#include "rng.h"
#include "sampler.h"
#include "stream.h"
#include "text.h"
#include "util.h"

#define DEFAULT_SAMPLES       1000
#define DEFAULT_TRAJECTORIES  1
#define DEFAULT_LEN           8
#define DEFAULT_STEPS         100
#define MAX_N                 1000000000000L   /* samples or trajectories */
#define MAX_STEPS             MAX_PROMPT       /* a record's tokens */
#define MAX_SHARDS            1000000

static const char usage[] =
"usage: attn-sample [-n N] [--model FILE] [--prompts DIST] [--len L[:LMAX]]\n"
"                   [--via attention|ccmc | --markov] [--window L|none]\n"
"                   [--mix W|model] [--tie-tol X] [--retie]\n"
"                   [--head tied|linear|softmax] [--probs] [--ids]\n"
"                   [--trajectory [--steps T]] [--seed S] [--shard I/N]\n"
"                   [--lower] [--punct keep|split|drop] [--progress]\n"
"                   [file ...]\n";

static const char help[] =
"Read a model (the first record: attn-model or ccmc, or --model FILE) and\n"
"print it, then N sample records {\"prompt\":[..],\"y\":k}: a prompt and\n"
"its next token.  Prompts are the prompt records that follow the model,\n"
"each used once and in order (N defaults to all of them), or, when there\n"
"are none, drawn from DIST.\n"
"\n"
"  -n N             samples (default 1000) or trajectories (default 1)\n"
"  --model FILE     the model is the first record of FILE; the input then\n"
"                   holds prompt records only (not read if it is a terminal)\n"
"  --prompts DIST   uniform (default): tokens iid uniform;  blocks:B: all\n"
"                   tokens of a prompt from one of B contiguous blocks of\n"
"                   the vocabulary;  zipf:S: tokens iid Zipf(S), id 0 the\n"
"                   most frequent\n"
"  --len L, --len LMIN:LMAX\n"
"                   prompt length, or uniform on [LMIN, LMAX] (default 8,\n"
"                   at most the model's LMAX)\n"
"  --via attention  draw from the forward pass (default for attn-model\n"
"                   samples)\n"
"  --via ccmc       draw from the model's CCMC (default for a ccmc record\n"
"                   and for trajectories); the same distribution, faster\n"
"  --markov         draw from row P_i of the ordinary Markov chain, i the\n"
"                   last token: no context weighting\n"
"  --window L       each draw sees only the last L tokens of its context\n"
"                   (default: the ccmc's meta.window, else all of them)\n"
"  --window none    each draw sees the whole context\n"
"  --mix W          draw from (1 - W) p + W u, u the ccmc's \"unigram\"\n"
"  --mix model      the same with the ccmc's own \"mix\" (default: no mix)\n"
"  --tie-tol X      accept an attn-model whose max|C E^T - I| and max|C r_t|\n"
"                   (and separation) reach X (default 1e-9)\n"
"  --retie          replace C by (E E^T)^-1 E first; printed, with\n"
"                   \"meta\" \"retie\" saying how much it changed\n"
"  --head H         the law of the model's head C: tied (default: C E^T = I),\n"
"                   linear (C x_att clamped at 0, normalised) or softmax\n"
"                   (softmax(C x_att)); default: the record's \"head\"\n"
"  --probs          add \"p\": the exact distribution y was drawn from\n"
"  --ids            print token ids even when the ccmc has a vocabulary\n"
"  --lower, --punct MODE  cut the strings of prompts into words as\n"
"                   ccmc-estimate --text does (default: as the model's\n"
"                   meta.text says; an option that contradicts it is refused)\n"
"  --trajectory     print trajectory records instead: from each prompt,\n"
"                   T tokens drawn autoregressively, the context growing\n"
"  --steps T        tokens per trajectory (default 100, at most 2^20)\n"
"  --seed S         random seed (default 1)\n"
"  --shard I/N      only the I-th of N contiguous blocks of the N items\n"
"                   (I = 0..N-1); the shards concatenated are the whole run\n"
"  --progress       show progress on stderr (default: when it is a terminal)\n"
"  -h, --help       this text;  --version  the version\n";

struct options {
	struct sampler_options draw;
	long     n;
	int      n_given;
	struct prompt_dist dist;
	int      dist_given;
	int      lmin, lmax, len_given;
	int      probs, progress;
	int      steps_given;
	uint64_t seed;
	long     shard, nshards;
	char    *model_file;
};

struct run {
	struct options *o;
	struct sampler s;          /* the model and its generator */
	struct rng rng;
	int     *prompt;           /* a generated prompt */
	int     *tokens;           /* a trajectory's steps */
	double  *p;
	long     lo, hi;           /* the indices this shard prints */
	struct progress progress;  /* samples or trajectories' steps */
};

/* Draws of the ordinary chain say so: traj-stats predicts no collapse
 * for them. */
static void
end_record(struct run *run)
{
	out_str(run->s.gen.path == GEN_MARKOV ? ",\"chain\":\"markov\"}" : "}");
	out_end();
}

static void
sample(struct run *run, const int *prompt, int L)
{
	int y = gen_next(&run->s.gen, prompt, L, &run->rng,
	    run->o->probs ? run->p : NULL);

	out_str("{\"type\":\"sample\",\"prompt\":");
	out_tokens(prompt, L, run->s.vocab_out);
	out_str(",\"y\":");
	out_token(y, run->s.vocab_out);
	if (run->o->probs) {
		out_str(",\"p\":");
		out_doubles(run->p, run->s.gen.K);
	}
	end_record(run);
	progress_tick(&run->progress);
}

static void
trajectory(struct run *run, const int *prompt, int L)
{
	long T = run->o->draw.steps;

	if (!run->tokens)
		run->tokens = xmalloc(checked_size((size_t)T + 1, sizeof *run->tokens));
	gen_start(&run->s.gen, prompt, L);
	for (long t = 0; t < T; t++) {
		run->tokens[t] = gen_step(&run->s.gen, &run->rng);
		progress_tick(&run->progress);
	}
	out_str("{\"type\":\"trajectory\",\"prompt\":");
	out_tokens(prompt, L, run->s.vocab_out);
	out_str(",\"tokens\":");
	out_tokens(run->tokens, (int)T, run->s.vocab_out);
	end_record(run);
}

/* Item number index of the run; prompt NULL: draw one. */
static void
emit(struct run *run, long index, const int *prompt, int L)
{
	rng_item(&run->rng, (uint64_t)index);
	if (!prompt) {
		L = prompt_draw(&run->o->dist, &run->rng, run->prompt);
		prompt = run->prompt;
	}
	if (run->o->draw.trajectory)
		trajectory(run, prompt, L);
	else
		sample(run, prompt, L);
}

/* The indices of the items this shard prints, of n (n < 0: an unknown
 * number of them, all printed), and the progress counted over them. */
static void
shard_block(struct run *run, long n)
{
	const struct options *o = run->o;
	long per = o->draw.trajectory ? o->draw.steps : 1;

	run->lo = n < 0 ? 0 : n / o->nshards * o->shard +
	    n % o->nshards * o->shard / o->nshards;
	run->hi = n < 0 ? LONG_MAX : n / o->nshards * (o->shard + 1) +
	    n % o->nshards * (o->shard + 1) / o->nshards;
	progress_start(&run->progress, o->progress, o->draw.trajectory ? "steps" :
	    "samples", n < 0 ? 0 : (run->hi - run->lo) * per, 4096);
}

/* Prompts drawn from the prompt distribution. */
static void
generated(struct run *run)
{
	run->prompt = xmalloc((size_t)run->o->dist.lmax * sizeof *run->prompt);
	shard_block(run, run->o->n);
	for (long i = run->lo; i < run->hi; i++)
		emit(run, i, NULL, 0);
}

/* Every prompt record, kept: a shard of an unknown number of them. */
static void
buffered(struct input *in, struct run *run, json_t *rec)
{
	struct prompt_set kept = { 0 };
	int *t, L;

	for (; rec; rec = input_record(in)) {
		t = sampler_prompt(&run->s, in, rec, &L);
		prompt_set_add(&kept, t, L, in->line);
		json_decref(rec);
	}
	shard_block(run, kept.n);
	for (long i = run->lo; i < run->hi; i++)
		emit(run, i, kept.tok[i], kept.len[i]);
	prompt_set_free(&kept);
}

/* Prompts from the records that follow the model; rec is the first. */
static void
from_records(struct input *in, struct run *run, json_t *rec)
{
	const struct options *o = run->o;
	long n = o->n_given ? o->n : -1, i;
	int *t, L;

	if (n < 0 && o->nshards > 1) {
		buffered(in, run, rec);
		return;
	}
	shard_block(run, n);
	for (i = 0; n < 0 || i < n; i++) {
		if (!rec && !(rec = input_record(in)))
			break;
		t = sampler_prompt(&run->s, in, rec, &L);
		json_decref(rec);
		rec = NULL;
		if (i >= run->lo && i < run->hi)
			emit(run, i, t, L);
		free(t);
	}
	if (rec)
		json_decref(rec);
	if (n >= 0 && i < n)
		input_fail(in, "-n %ld asks for more prompts than the %ld prompt "
		    "records", n, i);
}

/* --shard I/N: 0 <= I < N. */
static void
parse_shard(struct options *o, const char *arg)
{
	if (opt_fraction(arg, &o->shard, &o->nshards) != 0 || o->shard < 0 ||
	    o->nshards <= o->shard || o->nshards > MAX_SHARDS)
		usage_error(NULL, "--shard: I/N with 0 <= I < N <= %d, not '%s'",
		    MAX_SHARDS, arg);
}

static void
parse_options(struct options *o, int argc, char **argv)
{
	struct sampler_options *d = &o->draw;
	const struct option longopts[] = {
		OPT_VALUE("model", 'm'), OPT_VALUE("prompts", 'P'),
		OPT_VALUE("len", 'l'), OPT_VALUE("via", 'v'),
		OPT_FLAG("markov", &d->markov), OPT_VALUE("window", 'w'),
		OPT_VALUE("mix", 'x'), OPT_VALUE("tie-tol", 'e'),
		OPT_FLAG("retie", &d->retie), OPT_VALUE("head", 'H'),
		OPT_FLAG("probs", &o->probs), OPT_FLAG("ids", &d->ids),
		OPT_FLAG("trajectory", &d->trajectory), OPT_VALUE("steps", 'T'),
		OPT_VALUE("seed", 's'), OPT_VALUE("shard", 'S'),
		OPT_FLAG("progress", &o->progress), TEXT_WORD_LONGOPTS, OPT_END
	};
	/* in the order of GEN_ATTENTION, GEN_CCMC */
	static const char *const via[] = { "attention", "ccmc" };
	char why[256];
	int c;

	while ((c = opt_next(argc, argv, "hn:", longopts)) != -1) {
		switch (c) {
		case 0:   /* a flag */
			break;
		case 'n':
			o->n = opt_long(usage, "-n", optarg, 0, MAX_N);
			o->n_given = 1;
			break;
		case 'm':
			o->model_file = opt_file("--model", optarg);
			break;
		case 'P':
			prompt_dist_free(&o->dist);
			if (prompt_dist_parse(&o->dist, optarg, why, sizeof why) != 0)
				usage_error(NULL, "--prompts: %s", why);
			o->dist_given = 1;
			break;
		case 'l':
			if (prompt_len_parse(optarg, &o->lmin, &o->lmax) != 0)
				usage_error(NULL, "--len: expected L or LMIN:LMAX with "
				    "1 <= LMIN <= LMAX <= %ld, not '%s'", MAX_PROMPT, optarg);
			o->len_given = 1;
			break;
		case 'v':
			if ((d->via = name_index(optarg, via, 2)) < 0)
				usage_error(NULL, "--via: expected attention or ccmc, "
				    "not '%s'", optarg);
			break;
		case 'w':
			d->window = strcmp(optarg, "none") == 0 ? -1 :
			    (int)opt_long(usage, "--window", optarg, 1, MAX_PROMPT);
			break;
		case 'e':
			d->tol = opt_double(usage, "--tie-tol", optarg, 0, 1e-2);
			break;
		case 'H':
			model_head_option(optarg);
			d->head_given = 1;
			break;
		case 'x':
			d->mix = strcmp(optarg, "model") == 0 ? -1 :
			    opt_double(usage, "--mix", optarg, 0, 1);
			break;
		case 'T':
			d->steps = opt_long(usage, "--steps", optarg, 0, MAX_STEPS);
			o->steps_given = 1;
			break;
		case 's':
			o->seed = opt_seed(usage, optarg);
			break;
		case 'S':
			parse_shard(o, optarg);
			break;
		default:
			if (!text_option(&d->split, c, optarg, usage))
				common_option(c, usage, help);
		}
	}
	if (d->markov && d->via >= 0)
		usage_error(usage, "--markov excludes --via");
	if (o->steps_given && !d->trajectory)
		usage_error(usage, "--steps needs --trajectory");
	if (o->probs && d->trajectory)
		usage_error(usage, "--probs applies to samples, not trajectories");
	if (!o->n_given)
		o->n = d->trajectory ? DEFAULT_TRAJECTORIES : DEFAULT_SAMPLES;
	if (!o->progress)
		o->progress = isatty(STDERR_FILENO);
}

int
main(int argc, char **argv)
{
	struct options o = {
		.draw = { .via = -1, .steps = DEFAULT_STEPS, .mix = -2,
		    .tol = TIE_TOL },
		.lmin = DEFAULT_LEN, .lmax = DEFAULT_LEN, .seed = RNG_DEFAULT_SEED,
		.nshards = 1,
	};
	struct run run = { .o = &o };
	struct input in, model_in;
	json_t *rec = NULL;

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	parse_options(&o, argc, argv);

	input_open(&in, argc - optind, argv + optind);
	if (o.model_file) {
		input_open(&model_in, 1, &o.model_file);
		sampler_read(&run.s, &model_in, &o.draw);
		input_no_stray_row(&model_in);
		input_close(&model_in);
	} else
		sampler_read(&run.s, &in, &o.draw);
	run.p = xmalloc((size_t)run.s.gen.K * sizeof *run.p);
	rng_init(&run.rng, o.seed, "attn-sample", 0);

	/* With --model, a terminal on stdin means no prompt records. */
	if (!o.model_file || optind < argc || !isatty(STDIN_FILENO))
		rec = input_record(&in);
	if (rec && o.model_file && (strcmp(record_type(rec), "attn-model") == 0 ||
	    strcmp(record_type(rec), "ccmc") == 0)) {
		json_decref(rec);
		input_fail(&in, "a model record in the input, but --model %s gives "
		    "the model", o.model_file);
	}
	if (rec && (o.dist_given || o.len_given)) {
		json_decref(rec);
		input_fail(&in, "prompt records in the input, but --prompts or --len "
		    "ask for generated prompts");
	}
	if (!rec)
		sampler_generated(&run.s, &o.dist, o.lmin, o.lmax, o.len_given);
	/* each item's share of the batch stream: room for its prompt and its
	 * first next token */
	rng_items_for(&run.rng, (rec ? 0 : prompt_draw_bytes(&o.dist)) + 8);
	sampler_write(&run.s);
	if (rec)
		from_records(&in, &run, rec);
	else
		generated(&run);
	input_close(&in);
	out_flush();
	progress_end(&run.progress);

	free(run.prompt);
	free(run.tokens);
	free(run.p);
	prompt_dist_free(&o.dist);
	sampler_free(&run.s);
	return 0;
}
