/*
 * attn-to-ccmc: turn attention models into their context-conditioned
 * Markov chains; every other record passes through unchanged.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ccmc.h"
#include "chain.h"
#include "model.h"
#include "stream.h"
#include "util.h"

static const char usage[] = "usage: attn-to-ccmc [--analyze] [file ...]\n";

static const char help[] =
"Read attn-model records and write each one's CCMC: logits A = E W E^T\n"
"(each row of mean 0), base chain P = row-softmax(A), and position weights\n"
"posw when the model has positional encodings.  A model with no exact CCMC\n"
"is refused.  Records of other types pass through unchanged, in order.\n"
"\n"
"  --analyze     add \"chain\": stationary distribution, entropy rate,\n"
"                communicating classes and self-dominant tokens of P\n"
"  -h, --help    this text;  --version  the version\n";

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "analyze", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct input in;
	json_t *rec;
	int c, analyze = 0, nmodels = 0;

	prog_init(argv[0]);
	argv[0] = (char *)progname;    /* getopt's complaints name us too */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			analyze = 1;
			break;
		default:
			common_option(c, usage, help);
		}
	}

	input_open(&in, argc - optind, argv + optind);
	while ((rec = input_record(&in))) {
		struct attn_model model;
		struct ccmc chain;
		json_t *extra = NULL;
		char why[256];

		if (strcmp(record_type(rec), "attn-model") != 0) {
			out_raw(in.buf, in.len);
			out_end();
			json_decref(rec);
			continue;
		}
		model_parse(&in, rec, &model);
		nmodels++;
		if (ccmc_from_model(&model, &chain, why, sizeof why) != 0)
			input_fail(&in, "%s", why);
		if (analyze) {
			extra = json_object();
			jset(extra, "chain", chain_analyze(chain.P,
			    chain.K));
		}
		ccmc_write(&chain, extra);
		if (extra)
			json_decref(extra);
		ccmc_free(&chain);
		model_free(&model);
		json_decref(rec);
	}
	/* An empty stream is most often a failed stage upstream: say so. */
	if (nmodels == 0)
		input_fail(&in, "no attn-model record in the input");
	input_close(&in);
	out_flush();
	return 0;
}
