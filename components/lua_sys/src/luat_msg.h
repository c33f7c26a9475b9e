/*
 * The message item: what one slot of the FreeRTOS queue holds.
 *
 * Fixed size (88 bytes on ESP32 and on the host; checked below) so the queue
 * can copy it by value; 256 slots cost 22.5 KiB. String bytes are packed into
 * one 32-byte pool instead of a buffer per argument, which is what keeps it
 * small: per argument only an 8-byte value (or an offset/length pair) is kept.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lua_sys.h"

typedef enum {
    LUAT_MSG_POSTED = 1, /* a named message from C or rtos.post */
    LUAT_MSG_TIMER,      /* an rtos timer firing */
    LUAT_MSG_WAKE,       /* unblocks the receiver after lua_sys_stop(); not counted */
} luat_msg_kind_t;

typedef union {
    int64_t i;
    double d;
    bool b;
    struct {
        uint8_t off;
        uint8_t len;
    } s;
} luat_msg_value_t;

typedef struct {
    uint8_t kind;                     /* luat_msg_kind_t */
    uint8_t argc;
    uint8_t type[LUA_SYS_ARGS_MAX];   /* lua_sys_arg_type_t */
    char name[LUA_SYS_NAME_MAX + 1];  /* NUL-terminated */
    union {
        struct {
            luat_msg_value_t arg[LUA_SYS_ARGS_MAX];
            char str[LUA_SYS_STRING_BYTES_MAX];
        } posted;
        struct {
            uint32_t id;
            int32_t remaining; /* firings left after this one, -1 forever */
            uint32_t seq;      /* which start of the slot this firing belongs to */
            uint16_t slot;
        } timer;
    } u;
} luat_msg_t;

_Static_assert(sizeof(luat_msg_t) == 88, "queue item size changed: update docs/firmware.md");

/* Why an encode failed; LUAT_MSG_OK when it did not. */
typedef enum {
    LUAT_MSG_OK = 0,
    LUAT_MSG_BAD_NAME,      /* not 1..LUA_SYS_NAME_MAX bytes, or holds NUL */
    LUAT_MSG_TOO_MANY_ARGS, /* argc > LUA_SYS_ARGS_MAX */
    LUAT_MSG_BAD_ARG_TYPE,  /* an argument type outside lua_sys_arg_type_t */
    LUAT_MSG_STRINGS_TOO_LONG, /* string arguments over LUA_SYS_STRING_BYTES_MAX */
} luat_msg_status_t;

/*
 * Validates and copies a name and arguments into `msg` (kind LUAT_MSG_POSTED).
 * `name_len` is the name's length in bytes. On LUAT_MSG_BAD_ARG_TYPE,
 * *bad_index is the offending argument's index; on LUAT_MSG_STRINGS_TOO_LONG,
 * *bad_index is the total string length. IRAM-safe: usable from ISRs.
 */
luat_msg_status_t luat_msg_encode(luat_msg_t *msg, const char *name, size_t name_len,
                                  const lua_sys_arg_t *args, size_t argc, size_t *bad_index);

/* Length of a NUL-terminated name, stopping after LUA_SYS_NAME_MAX + 1 bytes
 * (so an over-long name is detected without reading all of it). IRAM-safe. */
size_t luat_msg_name_len(const char *name);
