/*
 * evalrecord: how well a model predicts data, as the eval record that
 * ccmc-estimate --eval writes (ccmc-records(5)): the steps a CCMC covers
 * and the cross-entropy and perplexity over them; with the model's unigram
 * background mixed in, over all steps; the unigram's own; and on text,
 * what the words were read with and whether they are the model's own
 * training input (dataset_text_report).
 */
#ifndef EVALRECORD_H
#define EVALRECORD_H

#include "dataset.h"
#include "score.h"

/* Scores the steps of d (read for s: dataset_use_model) under s and
 * writes the eval record. */
void evalrecord_write(const struct dataset *d, const struct scored_model *s);

#endif
