/*
 * The Lua allocator: realloc/free with a byte cap and exact accounting of
 * what Lua asked for (not the heap's own per-block overhead).
 * Used by the Lua task only, so it needs no lock.
 */
#pragma once

#include <stddef.h>

typedef struct {
    size_t cap; /* 0 = no cap */
    size_t used;
    size_t max_used;
} luat_alloc_t;

void luat_alloc_init(luat_alloc_t *a, size_t cap);

/* A lua_Alloc; `ud` is the luat_alloc_t. Returns NULL when growing would pass
 * the cap, which Lua turns into a "not enough memory" error. */
void *luat_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
