/*
 * model: the one-layer self-attention model of attn-ccmc(7)
 * ("attn-model" records): making one, reading and writing it, and its
 * forward pass.
 */
#ifndef MODEL_H
#define MODEL_H

#include <jansson.h>
#include <stdint.h>

#include "stream.h"
#include "weights.h"

#define MAX_LMAX 4096          /* most positions a positional encoding has */
/* Largest K of a headless model (no C: the next token is the token at the
 * attended position), which needs no K x K array anywhere; a model with a
 * head, and any CCMC, stop at MAX_VOCAB. */
#define MAX_MODEL_VOCAB (1 << 20)
/* Largest score or logit in size a model or a CCMC may have: far enough
 * from overflow that sums over a row, and their softmax, stay finite. */
#define MAX_SCORE 1e300
/* Default tolerance of the exactness conditions: the tie C E^T = I, the
 * head blind to positions (C r_t = 0) and, relative to the sizes of E, W
 * and R, the separation of tokens and positions in the scores. */
#define TIE_TOL 1e-9
/* What the tie error adds: the two ways past it. */
#define TIE_HINT "(--tie-tol X accepts a looser tie, --retie refits C to " \
	"E: attn-to-ccmc, attn-sample)"

/* The law of the output head C (attn-ccmc(7)): tied (C E^T = I within
 * the tolerance, the default), or any C with p = C x_att clamped at 0
 * and normalised (linear), or p = softmax(C x_att) (softmax, the usual
 * LM head).  A headless model (C NULL) has none: the next token is the
 * attended position's. */
enum model_head { HEAD_TIED, HEAD_LINEAR, HEAD_SOFTMAX };

struct attn_model {
	int     K, d;
	enum model_head head;  /* of C, if any */
	int     lmax;          /* positions with encodings, 0 if none */
	double *E;             /* K x d embeddings */
	double *W;             /* d x d combined query-key matrix */
	double *C;             /* K x d output head, C E^T = I; NULL: headless,
	                        * the next token is the attended position's */
	double *R;             /* lmax x d positional encodings, or NULL */
	json_t *meta;          /* owned reference, or NULL */
	double  tol;           /* of the exactness conditions (TIE_TOL) */
	/* derived, for the forward pass: E W (beyond MAX_VOCAB tokens made
	 * row by row, ew_done[k] once row k is: use model_ew_row) and R W */
	double *EW, *RW;
	unsigned char *ew_done;
	/* where E came from: the weight file it was read from (device,
	 * inode, size, modification time; all 0 if none: weights_open takes
	 * no empty file), and whether it is another model's
	 * (model_parse_like), not freed with this */
	struct wfile_id e_id;
	int     e_borrowed;
};

struct model_spec {
	int      K, d;         /* d = 0: the smallest that fits */
	double   scale;        /* standard deviation of the entries of W */
	int      gaussian;     /* embeddings: 0 one-hot, 1 Gaussian */
	double   diag;         /* added to every diagonal logit A_kk */
	int      lmax;         /* positional encodings for lmax positions, or 0 */
	int      recency;      /* positions: 1 recency bias, 0 random */
	int      pos_dim;      /* dimensions for random positional encodings */
	double   pos_scale;    /* random: spread of B; recency: its strength */
	uint64_t seed;
	int      headless;     /* no head C: any d (one-hot still needs d >= K) */
};

/* Makes a model; on a spec that cannot be met, returns -1 with a reason. */
int    model_generate(const struct model_spec *s, struct attn_model *m,
           char *why, size_t whylen);
void   model_parse(const struct input *in, json_t *rec, struct attn_model *m);
/* model_parse, but where rec's E is the tensor E of the weight file that
 * like's E was read from (the same file, unchanged since), m shares
 * like's E instead of holding a copy: a W-fit's ground truth at 2^20
 * tokens need not hold E twice.  like must outlive m. */
void   model_parse_like(const struct input *in, json_t *rec,
           struct attn_model *m, const struct attn_model *like);
void   model_write(const struct attn_model *m);
/* Row k of E W, made now if it was not. */
const double *model_ew_row(const struct attn_model *m, int k);
/* The most bytes model_write may print for a model of K tokens, dimension
 * d and lmax positions, with a head or not: e bytes each for the numbers
 * of E and C with their commas (MODEL_NUMBER_BYTES, or 4 where all are 0
 * or 1: one-hot embeddings and their tied head, "0.0," and "1.0,"),
 * MODEL_NUMBER_BYTES for W and R, 3 a row for its brackets and comma, and
 * meta bytes for "meta" and the keys.  Every reader refuses a line longer
 * than MAX_LINE_BYTES: a writer checks this first, before the work. */
double model_json_bound(double K, double d, double lmax, int head, double e,
           double meta);
/* 4 if every entry of m's E and C is 0 or 1, else MODEL_NUMBER_BYTES. */
double model_entry_bytes(const struct attn_model *m);
/* The longest number, -2.2250738585072014e-308, and its comma. */
#define MODEL_NUMBER_BYTES 25
/* Every model_parse after this takes tol as its tie tolerance and, with
 * retie, recomputes the head (model_retie), failing if it cannot: the
 * --tie-tol and --retie of programs that read models only.  A negative
 * argument leaves that setting as it was. */
void   model_set_tie(double tol, int retie);
/* Every model_parse after this reads models with this head law, whatever
 * their "head" says (--head of the programs that read models); -1 (the
 * default): the record's.  "tied", "linear", "softmax": the enum, else -1. */
void   model_set_head(int head);
int    model_head_parse(const char *name);
/* --head NAME of a program: model_set_head, or a usage error. */
void   model_head_option(const char *arg);
const char *model_head_name(enum model_head h);
/* The record of --weights FILE: with weights NULL, model_write's;
 * else E, W, C (if any) and R (if any) written to the weights file
 * (lib/weights: .safetensors or .npz, dtype as weights_write takes it,
 * checked before the work with weights_unwritable) and the record that
 * names it ("weights": FILE), dying if the file cannot be written. */
void   model_output(const struct attn_model *m, const char *weights,
           int dtype);
void   model_free(struct attn_model *m);

/* max |C E^T - I| */
double model_head_error(const struct attn_model *m);
/* Replaces C by the head tied to E and blind to positions, C = (F F^T)^{-1}
 * F with F the rows of E projected off the span of the r_t (F = E without
 * positions), so that the head law is tied, and records in meta "retie"
 * the tie error before and after and the largest change of an entry of C.
 * -1 if F F^T is singular (E has
 * dependent rows, or rows in the span of the positions), or so close to it
 * that the head it gives is not tied within m->tol. */
int    model_retie(struct attn_model *m);
/* Whether the forward pass gives a law: headless, a linear or softmax
 * head, or a tied head (within tol) that positions do not reach (C r_t
 * = 0); if not, why. */
int    model_law_ok(const struct attn_model *m, char *why, size_t whylen);
/* Whether the model has an exact CCMC (attn-ccmc(7)); if not, why. */
int    model_has_ccmc(const struct attn_model *m, char *why, size_t whylen);

/* Forward pass: p (K) = C X^T softmax(s), s_t = x_L^T W x_t; headless,
 * p_k = the attention on the positions holding token k.
 * work holds at least model_work_size(m, L) doubles. */
size_t model_work_size(const struct attn_model *m, int L);
void   attn_forward(const struct attn_model *m, const int *prompt, int L,
           double *p, double *work);
/* The forward pass's next-token law, the one rule every program applies
 * (attn-sample --probs and draws, attn-to-ccmc --check): p = C X^T alpha
 * with its negative entries, which a head tied only within its tolerance
 * (or rounding) or a linear head leaves, set to 0 and the rest divided by
 * their sum; with a softmax head, softmax(C X^T alpha).
 * attn_law_weights turns attn_forward's p into weights of that law in
 * place and returns their sum (clamping only, or exp(p - max p)). */
void   attn_law(const struct attn_model *m, const int *prompt, int L,
           double *p, double *work);
double attn_law_weights(const struct attn_model *m, double *p);
/* A headless model's draw: a position by its attention, and its token,
 * in O(L d) (never a vector of K). */
struct rng;
int    attn_draw_headless(const struct attn_model *m, const int *prompt,
           int L, struct rng *r, double *work);

/*
 * The same forward pass, grouped by token, for models without positions:
 * then a position's score depends only on its token (given the last one),
 * so the pass needs the scores S = E W E^T and the head on the embeddings
 * G = C E^T, K x K each, computed once, and the weights exp(S) (each row
 * divided by its largest entry).  A prompt then costs O(distinct tokens x
 * K), or only what G's nonzero entries cost (one-hot embeddings: G = I),
 * not O((L + K) d), and no exponential.  The sums run in another order
 * than attn_forward's, so the two agree to rounding, not to the bit.
 */
#define GROUPED_MAX_K 256      /* larger vocabularies: tables too costly */

struct attn_grouped {
	int     K;
	double *S;             /* S[q * K + k] = (E W)_q . e_k */
	double *GT;            /* GT[k * K + j] = c_j . e_k, G transposed */
	double *X;             /* exp(S - the largest entry of its row) */
	int    *start, *col;   /* if G is sparse: the nonzero entries of row k */
	double *val;           /* of GT are col, val [start[k], start[k+1]) */
	double *w;             /* scratch: per token */
	int    *count, *tok;   /* scratch: counts (kept 0), distinct tokens
	                       * (K + 1: one is written past the last) */
};

/* 0 and the tables, or -1 if the model has positions or K is too large. */
int    grouped_init(struct attn_grouped *g, const struct attn_model *m);
void   grouped_free(struct attn_grouped *g);
/* p proportional to attn_forward's, by a positive factor. */
void   grouped_forward(struct attn_grouped *g, const int *prompt, int L,
           double *p);

#endif
