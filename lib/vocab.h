/*
 * vocab: the map between token ids and the strings they stand for, so that
 * human text and ids travel the same streams (ccmc-records(5), text).
 * Ids are given in order of first addition, never by the hash (lib/hash).
 */
#ifndef VOCAB_H
#define VOCAB_H

#define UNK "<unk>"    /* the word that stands for the words not kept */

struct vocab {
	int     n, cap;       /* words held; capacity of word[] */
	char  **word;         /* id -> string */
	int    *slot;         /* open-addressing hash: id + 1, 0 empty */
	int     nslot;
	int     grow;         /* unseen strings are added (else unk or error) */
	int     unk;          /* id for unseen strings when not growing, or -1 */
	int     limit;        /* most words it may hold */
};

struct vocab *vocab_new(int limit);
void          vocab_free(struct vocab *v);
int           vocab_find(const struct vocab *v, const char *s);   /* -1 if absent */
int           vocab_add(struct vocab *v, const char *s);  /* id; -1 when full */
/* The id a string token maps to under the rules above; -1 if none. */
int           vocab_token(struct vocab *v, const char *s);

#endif
