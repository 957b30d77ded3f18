/*
 * reader: the fuzz target for the record reader.  Every record is parsed as
 * what its type says, through the same lib/ calls the programs use; bad
 * input must end in input_fail (exit 65), never in a crash or a hang.
 */
#include <string.h>

#include "ccmc.h"
#include "model.h"
#include "stream.h"
#include "util.h"
#include "vocab.h"

int
main(int argc, char **argv)
{
	struct input in;
	struct vocab *v = vocab_new(MAX_VOCAB);
	json_t *rec;
	int K = 64;

	prog_init("reader");
	v->grow = 1;
	input_open(&in, argc - 1, argv + 1);
	while ((rec = input_record(&in))) {
		const char *type = record_type(rec);
		char why[256];
		int n;

		if (strcmp(type, "attn-model") == 0) {
			struct attn_model m;
			struct ccmc c;

			model_parse(&in, rec, &m);
			if (ccmc_from_model(&m, &c, why, sizeof why) == 0)
				ccmc_free(&c);
			K = m.K;
			model_free(&m);
		} else if (strcmp(type, "ccmc") == 0) {
			struct ccmc c;

			ccmc_parse(&in, rec, &c);
			K = c.K;
			ccmc_free(&c);
		} else if (strcmp(type, "sample") == 0 || strcmp(type, "prompt") == 0) {
			free(field_tokens(&in, rec, "prompt", K, v, &n));
		} else if (strcmp(type, "trajectory") == 0) {
			free(field_tokens(&in, rec, "prompt", K, v, &n));
			free(field_tokens(&in, rec, "tokens", K, v, &n));
		}
		json_decref(rec);
	}
	input_close(&in);
	vocab_free(v);
	return 0;
}
