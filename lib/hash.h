/*
 * hash: the hash of every table whose keys come from the input (words,
 * n-grams of a trajectory).  A fixed, public hash such as FNV-1a lets an
 * input choose keys that all land in one slot and make a table quadratic
 * (hash flooding); this is SipHash-2-4 (libsodium's crypto_shorthash) under
 * a key drawn at random once per process, which an input cannot aim at.
 * No output depends on the hash: tables give ids in order of first
 * appearance or count what they hold, so the output stays deterministic.
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash_bytes(const void *p, size_t n);
uint64_t hash_u64(uint64_t x);

/* Slots looked at past the first, by every table that counts its probes
 * (vocab, trajstats): a hash flood shows as probes growing like the square
 * of the keys (tests/unit.c). */
extern unsigned long hash_probes;

#endif
