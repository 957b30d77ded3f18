/*
 * tsrecord: the records traj-stats writes (ccmc-records(5), traj-stats):
 * one trajectory's statistics, with the mean field's prediction if there
 * is one, and the summary of many.  Written field by field through the
 * stream's out_ functions, in the order the man page gives them.
 */
#ifndef TSRECORD_H
#define TSRECORD_H

#include "prediction.h"
#include "trajstats.h"
#include "trajsummary.h"
#include "vocab.h"

/* One trajectory's record.  pred may be NULL; skipped: a prediction was
 * skipped for a chain markov trajectory (the record says why).  v names
 * the tokens, or NULL for integers. */
void tsrecord_write(long index, const struct ts_result *r, int markov,
         int skipped, const struct prediction *pred, const struct vocab *v);
/* The summary record of many trajectories. */
void tsrecord_write_summary(const struct ts_summary *s,
         const struct vocab *v);

#endif
