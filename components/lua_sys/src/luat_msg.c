/* Encoding of posted messages into queue items. Runs in ISRs too, so it is
 * placed in IRAM; the only library call is memcpy, which the ESP chips run
 * from ROM. */
#include "luat_msg.h"

#include <string.h>

#include "esp_attr.h"

IRAM_ATTR size_t luat_msg_name_len(const char *name)
{
    size_t n = 0;
    while (n <= LUA_SYS_NAME_MAX && name[n] != '\0') {
        n++;
    }
    return n;
}

IRAM_ATTR luat_msg_status_t luat_msg_encode(luat_msg_t *msg, const char *name, size_t name_len,
                                            const lua_sys_arg_t *args, size_t argc,
                                            size_t *bad_index)
{
    if (name == NULL || name_len == 0 || name_len > LUA_SYS_NAME_MAX) {
        return LUAT_MSG_BAD_NAME;
    }
    for (size_t i = 0; i < name_len; i++) {
        if (name[i] == '\0') {
            return LUAT_MSG_BAD_NAME;
        }
    }
    if (argc > LUA_SYS_ARGS_MAX) {
        return LUAT_MSG_TOO_MANY_ARGS;
    }
    size_t str_total = 0;
    for (size_t i = 0; i < argc; i++) {
        if (args[i].type > LUA_SYS_ARG_STRING) {
            *bad_index = i;
            return LUAT_MSG_BAD_ARG_TYPE;
        }
        if (args[i].type == LUA_SYS_ARG_STRING) {
            str_total += args[i].s.len;
        }
    }
    if (str_total > LUA_SYS_STRING_BYTES_MAX) {
        *bad_index = str_total;
        return LUAT_MSG_STRINGS_TOO_LONG;
    }

    msg->kind = LUAT_MSG_POSTED;
    msg->argc = (uint8_t)argc;
    memcpy(msg->name, name, name_len);
    msg->name[name_len] = '\0';
    uint8_t used = 0;
    for (size_t i = 0; i < argc; i++) {
        luat_msg_value_t *v = &msg->u.posted.arg[i];
        const lua_sys_arg_type_t type = args[i].type;
        msg->type[i] = (uint8_t)type;
        /* An if chain, not a switch: GCC may compile a dense switch into a
         * jump table in .rodata, i.e. in flash, which an ESP_INTR_FLAG_IRAM
         * handler must not read while the cache is off. */
        if (type == LUA_SYS_ARG_BOOL) {
            v->b = args[i].b;
        } else if (type == LUA_SYS_ARG_INT) {
            v->i = args[i].i;
        } else if (type == LUA_SYS_ARG_NUMBER) {
            v->d = args[i].d;
        } else if (type == LUA_SYS_ARG_STRING) {
            v->s.off = used;
            v->s.len = (uint8_t)args[i].s.len;
            if (args[i].s.len > 0) { /* an empty string may come with ptr == NULL */
                memcpy(&msg->u.posted.str[used], args[i].s.ptr, args[i].s.len);
            }
            used = (uint8_t)(used + args[i].s.len);
        } else { /* LUA_SYS_ARG_NIL */
            v->i = 0;
        }
    }
    return LUAT_MSG_OK;
}
