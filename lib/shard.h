/*
 * shard: a fit of some rows (ccmc-estimate --rows I/N) as a ccmc-shard
 * record, and the merge of the N records into the record of the whole fit,
 * byte for byte the one a single run writes (ccmc-records(5)).
 */
#ifndef SHARD_H
#define SHARD_H

#include "dataset.h"
#include "fitrecord.h"

/* Writes the rows i of f with i mod shards == shard (0-based) as a
 * ccmc-shard record; d: the data they were fitted to. */
void shard_write(const struct fitted *f, const struct dataset *d,
         const struct fit_settings *s, int shard, int shards);
/* Reads the ccmc-shard records of the files (none or "-": stdin), checks
 * that they are the N shards of one fit, and writes its ccmc record. */
void shard_merge(int nfiles, char **files);

#endif
