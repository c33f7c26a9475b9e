#include "luat_alloc.h"

#include <stdlib.h>

void luat_alloc_init(luat_alloc_t *a, size_t cap)
{
    *a = (luat_alloc_t){ .cap = cap };
}

void *luat_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    luat_alloc_t *a = ud;
    /* For a new block Lua passes the object type in osize, not a size. */
    size_t old = ptr != NULL ? osize : 0;

    if (nsize == 0) {
        free(ptr);
        a->used -= old;
        return NULL;
    }
    if (nsize > old && a->cap != 0 && nsize - old > a->cap - a->used) {
        return NULL;
    }
    void *block = realloc(ptr, nsize);
    if (block == NULL) {
        if (nsize > old) {
            return NULL;
        }
        /* Lua requires shrinking to succeed: keep the old (larger) block, and
         * count what Lua now believes it holds, which is what it will free. */
        block = ptr;
    }
    a->used = a->used - old + nsize;
    if (a->used > a->max_used) {
        a->max_used = a->used;
    }
    return block;
}
