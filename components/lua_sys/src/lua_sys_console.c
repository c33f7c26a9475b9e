/*
 * The console protocol (docs/console-protocol.md), device side, for the
 * firmware and the native build alike. The simulator's twin is
 * host_sim/console/server.py; both follow the same document.
 */
#include "lua_sys_console.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esp_system.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "lauxlib.h"
#include "lua_sys.h"
#include "lua_sys_console_lua.h"
#include "luat_output.h"
#include "luat_runtime.h"

#define PROTOCOL_VERSION 1
#define MARKER '\x01'
#define HEADER_MAX 256
#define LINE_MAX_BYTES 1024
#define PATH_MAX_BYTES LUA_SYS_CONSOLE_PATH_MAX
#define FILE_MAX (1024 * 1024)
#define EVAL_MAX (16 * 1024)
#define PAYLOAD_IDLE_MS 2000
#define READY_TIMEOUT_MS 2000
#define STOP_TIMEOUT_MS 5000 /* how long run/restart wait for the running script to stop */
#define ARGS_MAX 3
#define TAG_MAX 8
#define LUA_ERROR_MAX 200 /* bytes of an `ERR lua` reply's message: the error's first line, cut */
#define FULL_PATH_MAX LUA_SYS_CONSOLE_FULL_PATH_MAX
#define PART_SUFFIX ".part"
#define TOPIC "SYS_CONSOLE"
#define TOPIC_INTERRUPT "interrupt" /* TOPIC's argument for `interrupt` (console.INTERRUPT) */
#define SAFE_MODE_FILE ".safe_mode" /* the app's boot counter on hosts: not listed */
#define STOP_RETRY_MS 10 /* how often a stop is asked again while a run is starting */
#define RESET_DRAIN_MS 50 /* lets `reset`'s reply leave the UART before the reset */
/* The device's uptime goes as text: a 32-bit Lua's integers end at 24.8 days. */
#define DESCRIBE_SOURCE "return require(\"console\").describe(\"%llu\")"
#define RUN_IDLE "idle" /* run's flag: the run ends when idle, and its end is answered */

/* ---- state ------------------------------------------------------------- */

/* The one request waiting for the Lua loop. Only pointers change hands inside
 * the critical section; the text is malloc'd by the console and freed by the
 * Lua task. */
typedef struct {
    char *source;
    size_t len;
    char tag[TAG_MAX + 1]; /* "" for a REPL line */
} request_t;

static struct {
    lua_sys_console_config_t config;
    uint8_t in[256];
    size_t in_pos, in_len;
    bool ended;
    portMUX_TYPE lock;
    request_t pending;     /* source == NULL: empty */
    bool runtime_running;  /* false while the app waits in lua_sys_console_next_run */
    bool input_closed;     /* set under `lock` once the input has ended */
    QueueHandle_t slot_free; /* one token while `pending` is empty */
    QueueHandle_t runs;      /* script paths for lua_sys_console_next_run */
    QueueHandle_t stopped;   /* a token each time the runtime has stopped */
    char idle_tag[TAG_MAX + 1]; /* the `run ... idle` running now ("": none); the app's task only */
    bool started;
    size_t discard; /* bytes of an abandoned payload still to come: never read as commands */
} s_con = { .lock = portMUX_INITIALIZER_UNLOCKED };

typedef struct {
    char path[FULL_PATH_MAX];
    char idle_tag[TAG_MAX + 1]; /* a `run <path> idle`'s tag, "" for any other run */
} run_request_t;

/* How a `run ... idle` ended, by lua_sys_exit_t: its second reply, `OK <ending>`. */
static const char *const RUN_ENDINGS[] = {
    [LUA_SYS_EXIT_OK] = "finished",
    [LUA_SYS_EXIT_ERROR] = "error",
    [LUA_SYS_EXIT_STOPPED] = "stopped",
};

/* ---- output: whole writes under stdout's lock (luat_output.h), so print() never
 * splits a reply */

static void output_begin(void)
{
    luat_output_begin();
    fflush(stdout);
}

static void output_end(void)
{
    luat_output_end();
}

static void output_bytes(const void *data, size_t len)
{
    s_con.config.io.write(s_con.config.io.ctx, data, len);
}

/* Writes `prefix`, the formatted text and CRLF in one piece, cut to the line buffer. */
static void send_line(const char *prefix, const char *fmt, va_list ap)
{
    char line[HEADER_MAX + 64];
    int n = snprintf(line, sizeof line, "%s", prefix);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 2, fmt, ap);
    if (n > (int)sizeof line - 3) {
        n = (int)sizeof line - 3;
    }
    memcpy(line + n, "\r\n", 2);
    output_begin();
    output_bytes(line, (size_t)n + 2);
    output_end();
}

static void reply(const char *tag, const char *fmt, ...)
{
    char prefix[TAG_MAX + 3];
    snprintf(prefix, sizeof prefix, "%c%s ", MARKER, tag);
    va_list ap;
    va_start(ap, fmt);
    send_line(prefix, fmt, ap);
    va_end(ap);
}

/* A plain text line, for problems with input that has no tag. */
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_line("", fmt, ap);
    va_end(ap);
}

/* ---- CRC-32 (IEEE 802.3, as zlib) ---------------------------------------- */

static uint32_t crc32_update(uint32_t crc, const uint8_t *data, size_t len)
{
    crc = ~crc;
    while (len--) {
        crc ^= *data++;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return ~crc;
}

/* ---- input ----------------------------------------------------------------- */

/* The next byte; -1 after `timeout_ms` (-1: no limit), -2 when input ended. */
static int next_byte(int timeout_ms)
{
    if (s_con.in_pos == s_con.in_len) {
        if (s_con.ended) {
            return -2;
        }
        int n = s_con.config.io.read(s_con.config.io.ctx, s_con.in, sizeof s_con.in, timeout_ms);
        if (n < 0) {
            s_con.ended = true;
            return -2;
        }
        if (n == 0) {
            return -1;
        }
        s_con.in_pos = 0;
        s_con.in_len = (size_t)n;
    }
    return s_con.in[s_con.in_pos++];
}

/* Reads `len` payload bytes into `sink`; false (with the reply sent) when the
 * sender stalls or the input ends. */
typedef bool (*sink_fn)(void *ctx, const uint8_t *data, size_t len);

static bool receive_payload(const char *tag, size_t len, uint32_t crc, sink_fn sink, void *ctx, const char *name)
{
    reply(tag, "READY");
    uint32_t actual = 0;
    size_t left = len;
    int sink_errno = 0;
    while (left > 0) {
        int c = next_byte(PAYLOAD_IDLE_MS);
        if (c < 0) {
            if (c == -1) {
                /* The sender may still send the rest: it is payload, never commands. */
                s_con.discard = left;
                reply(tag, "ERR timeout payload stalled with %u of %u bytes missing (the next %u bytes "
                           "received are discarded)", (unsigned)left, (unsigned)len, (unsigned)left);
            }
            return false;
        }
        /* Take what is buffered in one piece. */
        size_t chunk = 1 + (s_con.in_len - s_con.in_pos);
        if (chunk > left) {
            chunk = left;
        }
        const uint8_t *data = &s_con.in[s_con.in_pos - 1];
        s_con.in_pos += chunk - 1;
        actual = crc32_update(actual, data, chunk);
        if (sink_errno == 0 && !sink(ctx, data, chunk)) {
            sink_errno = errno ? errno : EIO; /* the rest is still read, to stay in step */
        }
        left -= chunk;
    }
    if (sink_errno != 0) {
        reply(tag, "ERR io cannot write %s: %s", name, strerror(sink_errno));
        return false;
    }
    if (actual != crc) {
        reply(tag, "ERR crc crc32 of the data is %08x, the header said %08x", (unsigned)actual, (unsigned)crc);
        return false;
    }
    return true;
}

/* ---- requests to the Lua loop ---------------------------------------------- */

static bool runtime_running(void)
{
    taskENTER_CRITICAL(&s_con.lock);
    bool running = s_con.runtime_running;
    taskEXIT_CRITICAL(&s_con.lock);
    return running;
}

/* Hands `source` (malloc'd, owned from now on) to the Lua loop. */
static void submit(const char *tag, char *source, size_t len)
{
    const char *reply_tag = tag[0] ? tag : "-";
    bool running = runtime_running();
    uint8_t token;
    const char *problem = NULL;
    luat_runtime_clear_interrupt(); /* an interrupt is for the chunk running before this one */
    if (!running) {
        problem = "no-runtime no script is running (use run or restart)";
    } else if (xQueueReceive(s_con.slot_free, &token, pdMS_TO_TICKS(READY_TIMEOUT_MS)) != pdPASS) {
        problem = "busy the Lua loop has not taken the previous request";
    } else {
        taskENTER_CRITICAL(&s_con.lock);
        s_con.pending = (request_t){ .source = source, .len = len };
        strcpy(s_con.pending.tag, tag);
        taskEXIT_CRITICAL(&s_con.lock);
        source = NULL;
        if (lua_sys_post(TOPIC, NULL, 0) != ESP_OK) {
            taskENTER_CRITICAL(&s_con.lock);
            source = s_con.pending.source;
            s_con.pending.source = NULL;
            taskEXIT_CRITICAL(&s_con.lock);
            if (source != NULL) { /* else the Lua task took it after all */
                xQueueSend(s_con.slot_free, &token, 0);
            }
            problem = "busy the message queue is full";
        }
    }
    free(source);
    if (problem == NULL) {
        return;
    }
    if (tag[0]) {
        reply(reply_tag, "ERR %s", problem);
    } else {
        say("console: error: %s", strchr(problem, ' ') + 1);
    }
}

/* Empties the slot (the runtime is gone, or a new one starts). */
static void drop_pending(void)
{
    char tag[TAG_MAX + 1];
    taskENTER_CRITICAL(&s_con.lock);
    char *source = s_con.pending.source;
    s_con.pending.source = NULL;
    strcpy(tag, s_con.pending.tag);
    taskEXIT_CRITICAL(&s_con.lock);
    if (source != NULL) {
        free(source);
        uint8_t token = 1;
        xQueueSend(s_con.slot_free, &token, 0);
        /* A request the ended run never took is answered, not left to time out. */
        if (tag[0]) {
            reply(tag, "ERR no-runtime the script ended before it took the request");
        } else {
            say("console: error: the script ended before it took the line");
        }
    }
}

int lua_sys_console_lua_read(lua_State *L)
{
    /* A request whose push raised (out of memory) is freed on the next call. */
    static char *s_reading;
    free(s_reading);
    s_reading = NULL;
    taskENTER_CRITICAL(&s_con.lock);
    request_t taken = s_con.pending;
    s_con.pending.source = NULL;
    taskEXIT_CRITICAL(&s_con.lock);
    if (taken.source == NULL) {
        lua_pushnil(L);
        return 1;
    }
    s_reading = taken.source;
    uint8_t token = 1;
    xQueueSend(s_con.slot_free, &token, 0);
    if (taken.tag[0]) {
        lua_pushstring(L, taken.tag);
    } else {
        lua_pushnil(L);
    }
    lua_pushlstring(L, taken.source, taken.len);
    free(s_reading);
    s_reading = NULL;
    return 2;
}

/* A request's tag: 1 to TAG_MAX characters 0-9 a-z (docs/console-protocol.md). */
static bool valid_tag(const char *tag)
{
    size_t n = strlen(tag);
    return n >= 1 && n <= TAG_MAX && strspn(tag, "0123456789abcdefghijklmnopqrstuvwxyz") == n;
}

/* A DATA reply and its payload, in one piece. */
static void reply_data(const char *tag, const void *data, size_t len)
{
    char header[48];
    int n = snprintf(header, sizeof header, "%c%s DATA %u %08x\r\n", MARKER, tag, (unsigned)len,
                     (unsigned)crc32_update(0, data, len));
    output_begin();
    output_bytes(header, (size_t)n);
    output_bytes(data, len);
    output_end();
}

int lua_sys_console_lua_reply(lua_State *L)
{
    size_t tag_len, len;
    const char *tag = luaL_checklstring(L, 1, &tag_len);
    bool ok = lua_toboolean(L, 2);
    const char *text = luaL_checklstring(L, 3, &len);
    if (!s_con.started || strlen(tag) != tag_len || !valid_tag(tag)) {
        lua_pushboolean(L, 0);
        return 1;
    }
    if (ok) {
        reply_data(tag, text, len);
    } else {
        size_t shown = strcspn(text, "\r\n"); /* the reply is one line (a NUL ends it too) */
        reply(tag, "ERR lua %.*s", (int)(shown > LUA_ERROR_MAX ? LUA_ERROR_MAX : shown), text);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* ---- paths and files ----------------------------------------------------------- */

static bool path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/';
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* The console's own names, which no request may touch: any part ending in ".part" (an
 * upload in progress; so an upload never overwrites a file of that name), and the app's
 * boot counter at the root. */
static bool reserved_path(const char *rel)
{
    if (strcmp(rel, SAFE_MODE_FILE) == 0) {
        return true;
    }
    for (const char *part = rel;;) {
        size_t n = strcspn(part, "/");
        if (ends_with(part, n, PART_SUFFIX)) {
            return true;
        }
        if (part[n] == '\0') {
            return false;
        }
        part += n + 1;
    }
}

/* Checks a protocol path and makes it absolute under fs_root; false (with
 * the reply sent) when it is not valid. */
static bool full_path(const char *tag, const char *path, char *out)
{
    const char *rel = path;
    while (*rel == '/') {
        rel++;
    }
    bool ok = strlen(path) <= PATH_MAX_BYTES && *rel != '\0';
    for (const char *c = rel; ok && *c; c++) {
        ok = path_char(*c);
    }
    /* no empty, "." or ".." parts */
    for (const char *part = rel; ok;) {
        size_t n = strcspn(part, "/");
        ok = n > 0 && !(n == 1 && part[0] == '.') && !(n == 2 && part[0] == '.' && part[1] == '.');
        if (part[n] == '\0') {
            break;
        }
        part += n + 1;
    }
    if (!ok) {
        reply(tag, "ERR bad-path '%s' is not a valid path (1..%d bytes of A-Z a-z 0-9 . _ - /, no "
                   "empty, '.' or '..' parts)", path, PATH_MAX_BYTES);
        return false;
    }
    if (reserved_path(rel)) {
        reply(tag, "ERR bad-path '%s' is reserved (uploads in progress end in " PART_SUFFIX
                   "; " SAFE_MODE_FILE " is the boot counter: use safe-status and safe-clear)", path);
        return false;
    }
    /* Never cut: lua_sys_console_start refused roots too long for a path and its ".part". */
    int n = snprintf(out, FULL_PATH_MAX, "%s/%s", s_con.config.fs_root, rel);
    if (n < 0 || (size_t)n + sizeof PART_SUFFIX > FULL_PATH_MAX) {
        reply(tag, "ERR bad-path '%s' is too long for this filesystem root", path);
        return false;
    }
    return true;
}

/* mkdir -p for the directories between fs_root and the file `path`; returns the
 * offset in `path` of the first directory it created (0: none), for remove_parents. */
static size_t make_parents(char *path)
{
    size_t first_created = 0;
    for (char *slash = strchr(path + strlen(s_con.config.fs_root) + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(path, 0755) == 0 && first_created == 0) {
            first_created = (size_t)(slash - path);
        }
        *slash = '/';
    }
    return first_created;
}

/* Removes the directories make_parents created (they are empty: the failed upload
 * was their only content), deepest first. */
static void remove_parents(char *path, size_t first_created)
{
    if (first_created == 0) {
        return;
    }
    for (char *slash = strrchr(path, '/'); slash != NULL && (size_t)(slash - path) >= first_created;) {
        *slash = '\0';
        rmdir(path);
        char *up = strrchr(path, '/');
        *slash = '/';
        slash = up;
    }
}

/* Deletes the .part files under `dir` (a FULL_PATH_MAX buffer, extended and restored
 * in place): uploads a reset or a lost connection interrupted (docs/console-protocol.md). */
static void remove_leftover_parts(char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    size_t len = strlen(dir);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || len + 1 + n >= FULL_PATH_MAX) {
            continue;
        }
        dir[len] = '/';
        memcpy(dir + len + 1, e->d_name, n + 1);
        if (stat(dir, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                remove_leftover_parts(dir);
            } else if (ends_with(e->d_name, n, PART_SUFFIX)) {
                unlink(dir);
            }
        }
        dir[len] = '\0';
    }
    closedir(d);
}

static bool parse_size(const char *tag, const char *text, size_t limit, size_t *out)
{
    size_t n = strlen(text);
    if (n == 0 || n > 10 || strspn(text, "0123456789") != n) {
        reply(tag, "ERR bad-frame size must be a decimal number (got '%s')", text);
        return false;
    }
    unsigned long long v = strtoull(text, NULL, 10);
    if (v > limit) {
        reply(tag, "ERR too-large %llu bytes is more than the limit of %u", v, (unsigned)limit);
        return false;
    }
    *out = (size_t)v;
    return true;
}

static bool parse_crc(const char *tag, const char *text, uint32_t *out)
{
    if (strlen(text) != 8 || strspn(text, "0123456789abcdef") != 8) {
        reply(tag, "ERR bad-frame crc must be 8 lowercase hex digits (got '%s')", text);
        return false;
    }
    *out = (uint32_t)strtoul(text, NULL, 16);
    return true;
}

static bool file_sink(void *ctx, const uint8_t *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)ctx) == len;
}

static bool memory_sink(void *ctx, const uint8_t *data, size_t len)
{
    char **at = ctx;
    memcpy(*at, data, len);
    *at += len;
    return true;
}

/* ---- commands ---------------------------------------------------------------------- */

static void do_hello(const char *tag, char **args)
{
    (void)args;
    reply(tag, "OK %s %d", LUA_SYS_VERSION, PROTOCOL_VERSION);
}

static void do_put(const char *tag, char **args)
{
    char path[FULL_PATH_MAX], part[FULL_PATH_MAX + sizeof PART_SUFFIX];
    size_t size;
    uint32_t crc;
    if (!full_path(tag, args[0], path) || !parse_size(tag, args[1], FILE_MAX, &size) ||
        !parse_crc(tag, args[2], &crc)) {
        return;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        reply(tag, "ERR bad-path %s is a directory", args[0]);
        return;
    }
    size_t created = make_parents(path);
    snprintf(part, sizeof part, "%s" PART_SUFFIX, path);
    FILE *f = fopen(part, "wb");
    if (f == NULL) {
        reply(tag, "ERR io cannot create %s: %s", args[0], strerror(errno));
        remove_parents(path, created);
        return;
    }
    bool ok = receive_payload(tag, size, crc, file_sink, f, args[0]);
    bool flushed = fflush(f) == 0 && fsync(fileno(f)) == 0;
    fclose(f);
    if (ok && !flushed) {
        reply(tag, "ERR io cannot write %s: %s", args[0], strerror(errno));
        ok = false;
    }
    if (ok && rename(part, path) != 0) {
        reply(tag, "ERR io cannot rename the upload to %s: %s", args[0], strerror(errno));
        ok = false;
    }
    if (!ok) {
        unlink(part);
        remove_parents(path, created);
        return;
    }
    if (s_con.config.safe_mode_clear != NULL && strcmp(path, s_con.config.boot_script) == 0) {
        s_con.config.safe_mode_clear(); /* a new boot script gets a fresh series of starts */
    }
    reply(tag, "OK %u %08x", (unsigned)size, (unsigned)crc);
}

static void do_get(const char *tag, char **args)
{
    char path[FULL_PATH_MAX];
    if (!full_path(tag, args[0], path)) {
        return;
    }
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        reply(tag, "ERR not-found no file %s", args[0]);
        if (f != NULL) {
            fclose(f);
        }
        return;
    }
    /* Two passes, so a file is never held in RAM: the CRC, then the bytes. */
    uint8_t chunk[256];
    uint32_t crc = 0;
    size_t n, size = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        crc = crc32_update(crc, chunk, n);
        size += n;
    }
    rewind(f);
    char header[48];
    int len = snprintf(header, sizeof header, "%c%s DATA %u %08x\r\n", MARKER, tag, (unsigned)size,
                       (unsigned)crc);
    output_begin();
    output_bytes(header, (size_t)len);
    while (size > 0 && (n = fread(chunk, 1, size < sizeof chunk ? size : sizeof chunk, f)) > 0) {
        output_bytes(chunk, n);
        size -= n;
    }
    output_end();
    fclose(f);
}

static int compare_lines(const void *a, const void *b)
{
    /* "<size> <name>": compare the names */
    return strcmp(strchr(*(char *const *)a, ' '), strchr(*(char *const *)b, ' '));
}

static void do_ls(const char *tag, char **args)
{
    char dir_path[FULL_PATH_MAX];
    if (args[0] == NULL) {
        snprintf(dir_path, sizeof dir_path, "%s", s_con.config.fs_root);
    } else if (!full_path(tag, args[0], dir_path)) {
        return;
    }
    DIR *dir = opendir(dir_path);
    if (dir == NULL) {
        reply(tag, "ERR not-found no directory %s", args[0] ? args[0] : "/");
        return;
    }
    /* "<size> <name>\n" per entry, sorted by name; directories as "0 <name>/". */
    char **lines = NULL;
    size_t count = 0, total = 0;
    bool ok = true;
    for (struct dirent *e; ok && (e = readdir(dir)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (args[0] == NULL && strcmp(e->d_name, SAFE_MODE_FILE) == 0)) {
            continue;
        }
        char entry[FULL_PATH_MAX + 256];
        struct stat st;
        snprintf(entry, sizeof entry, "%s/%s", dir_path, e->d_name);
        if (stat(entry, &st) != 0) {
            continue;
        }
        char **grown = realloc(lines, (count + 1) * sizeof *lines);
        char *line = malloc(strlen(e->d_name) + 24);
        ok = grown != NULL && line != NULL;
        if (grown != NULL) {
            lines = grown;
        }
        if (!ok) {
            free(line);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            sprintf(line, "0 %s/\n", e->d_name);
        } else {
            sprintf(line, "%ld %s\n", (long)st.st_size, e->d_name);
        }
        lines[count++] = line;
        total += strlen(line);
    }
    closedir(dir);
    char *text = ok ? malloc(total + 1) : NULL;
    if (text != NULL) {
        if (count > 0) {
            qsort(lines, count, sizeof *lines, compare_lines);
        }
        size_t at = 0;
        for (size_t i = 0; i < count; i++) {
            size_t n = strlen(lines[i]);
            memcpy(text + at, lines[i], n);
            at += n;
        }
        reply_data(tag, text, total);
    } else {
        reply(tag, "ERR io out of memory listing %s", args[0] ? args[0] : "/");
    }
    for (size_t i = 0; i < count; i++) {
        free(lines[i]);
    }
    free(lines);
    free(text);
}

static void do_rm(const char *tag, char **args)
{
    char path[FULL_PATH_MAX];
    if (!full_path(tag, args[0], path)) {
        return;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        reply(tag, "ERR not-found no file %s", args[0]);
    } else if ((S_ISDIR(st.st_mode) ? rmdir(path) : unlink(path)) != 0) {
        reply(tag, "ERR io cannot remove %s: %s", args[0], strerror(errno));
    } else {
        reply(tag, "OK");
    }
}

/* Tells the app what to run next ("": nothing, the console has ended), and
 * for a `run ... idle` its tag ("" otherwise); only the latest request counts.
 * Call lua_sys_stop() first: once the request is queued the app may start the
 * new run, which a later stop would hit. */
static void set_next_run(const char *path, const char *idle_tag)
{
    run_request_t run;
    while (xQueueReceive(s_con.runs, &run, 0) == pdPASS) {
    }
    snprintf(run.path, sizeof run.path, "%s", path);
    snprintf(run.idle_tag, sizeof run.idle_tag, "%s", idle_tag);
    xQueueSend(s_con.runs, &run, 0);
}

/* Stops the current run and starts `path` once it has ended; the OK comes
 * before anything the new run prints. A script that does not stop (a task that
 * never yields) gets ERR busy: the stop stays requested, for its next yield. */
static void request_run(const char *tag, const char *path, bool idle)
{
    uint8_t token;
    while (xQueueReceive(s_con.stopped, &token, 0) == pdPASS) {
    }
    /* The app may be about to start a run (lua_sys_stop() then says
     * ESP_ERR_INVALID_STATE): the stop is asked again until the run has ended. */
    bool stopped = !runtime_running();
    for (TickType_t waited = 0; !stopped && waited < pdMS_TO_TICKS(STOP_TIMEOUT_MS);) {
        TickType_t wait = lua_sys_stop() == ESP_OK ? pdMS_TO_TICKS(STOP_TIMEOUT_MS) - waited
                                                   : pdMS_TO_TICKS(STOP_RETRY_MS);
        stopped = xQueueReceive(s_con.stopped, &token, wait) == pdPASS;
        waited += wait;
    }
    if (!stopped) {
        reply(tag, "ERR busy the running script did not stop within %d s (a task that never yields?); "
                   "it stops at its next yield, a reset stops it now", STOP_TIMEOUT_MS / 1000);
        return;
    }
    reply(tag, "OK");
    set_next_run(path, idle ? tag : "");
}

static void do_run(const char *tag, char **args)
{
    char path[FULL_PATH_MAX];
    struct stat st;
    bool idle = args[1] != NULL;
    if (idle && strcmp(args[1], RUN_IDLE) != 0) {
        reply(tag, "ERR bad-frame run takes a path and optionally '" RUN_IDLE "' (got '%.32s')", args[1]);
        return;
    }
    if (!full_path(tag, args[0], path)) {
        return;
    }
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        reply(tag, "ERR not-found no file %s", args[0]);
        return;
    }
    request_run(tag, path, idle);
}

static void do_restart(const char *tag, char **args)
{
    (void)args;
    request_run(tag, s_con.config.boot_script, false);
}

/* A reset asked for by the host: the reply first, then esp_restart() (a
 * software reset, which safe mode never counts as a failed start). */
static void do_reset(const char *tag, char **args)
{
    (void)args;
    reply(tag, "OK");
    fflush(stdout);
    vTaskDelay(pdMS_TO_TICKS(RESET_DRAIN_MS));
    esp_restart();
}

/* Ctrl-C: the console chunk running gets the error "interrupted" (the count
 * hook); the message tells console.lua to cancel those that wait. */
static void do_interrupt(const char *tag, char **args)
{
    (void)args;
    luat_runtime_request_interrupt();
    const lua_sys_arg_t what = LUA_SYS_STR(TOPIC_INTERRUPT);
    if (runtime_running() && lua_sys_post(TOPIC, &what, 1) != ESP_OK) {
        reply(tag, "ERR busy the message queue is full");
        return;
    }
    reply(tag, "OK");
}

/* The first leading part of the full path `path` that is a file, relative to the root
 * (`path` is cut after it), or NULL: what stops a mkdir below it. */
static const char *file_in_the_way(char *path)
{
    char *relative = path + strlen(s_con.config.fs_root) + 1;
    struct stat st;
    for (char *slash = strchr(relative, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
            return relative;
        }
        *slash = '/';
    }
    return NULL;
}

static void do_mkdir(const char *tag, char **args)
{
    char path[FULL_PATH_MAX];
    if (!full_path(tag, args[0], path)) {
        return;
    }
    make_parents(path);
    struct stat st;
    if (mkdir(path, 0755) != 0 && !(errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        int error = errno;
        const char *file = error == EEXIST ? args[0] : file_in_the_way(path);
        if (file != NULL) {
            reply(tag, "ERR bad-path %s is a file", file);
        } else {
            reply(tag, "ERR io cannot create %s: %s", args[0], strerror(error));
        }
        return;
    }
    reply(tag, "OK");
}

static void do_df(const char *tag, char **args)
{
    (void)args;
    size_t total, used;
    if (s_con.config.fs_usage == NULL) {
        reply(tag, "ERR unknown-command this firmware does not report its filesystem's size");
    } else if (s_con.config.fs_usage(&total, &used) != ESP_OK) {
        reply(tag, "ERR io cannot read the filesystem's size");
    } else {
        reply(tag, "OK %u %u", (unsigned)total, (unsigned)used);
    }
}

static void do_eval(const char *tag, char **args)
{
    size_t size;
    uint32_t crc;
    if (!parse_size(tag, args[0], EVAL_MAX, &size) || !parse_crc(tag, args[1], &crc)) {
        return;
    }
    char *source = malloc(size + 1);
    if (source == NULL) {
        reply(tag, "ERR io out of memory for %u bytes", (unsigned)size);
        return;
    }
    char *at = source;
    if (receive_payload(tag, size, crc, memory_sink, &at, "the source")) {
        submit(tag, source, size);
    } else {
        free(source);
    }
}

static void do_describe(const char *tag, char **args)
{
    (void)args;
    char text[sizeof DESCRIBE_SOURCE + 20];
    snprintf(text, sizeof text, DESCRIBE_SOURCE, (unsigned long long)(luat_runtime_uptime_us() / 1000));
    char *source = strdup(text);
    if (source == NULL) {
        reply(tag, "ERR io out of memory");
        return;
    }
    submit(tag, source, strlen(source));
}

static void do_safe_status(const char *tag, char **args)
{
    (void)args;
    unsigned failed, limit;
    bool active;
    if (s_con.config.safe_mode_status == NULL) {
        reply(tag, "ERR unknown-command this firmware has no safe mode");
        return;
    }
    s_con.config.safe_mode_status(&failed, &limit, &active);
    reply(tag, "OK %s %u %u", active ? "on" : "off", failed, limit);
}

static void do_safe_clear(const char *tag, char **args)
{
    (void)args;
    if (s_con.config.safe_mode_clear == NULL) {
        reply(tag, "ERR unknown-command this firmware has no safe mode");
        return;
    }
    s_con.config.safe_mode_clear();
    reply(tag, "OK");
}

/* ---- frames --------------------------------------------------------------------------- */

static const struct {
    const char *verb;
    int min_args, max_args;
    void (*run)(const char *tag, char **args);
} COMMANDS[] = {
    { "hello", 0, 0, do_hello },     { "put", 3, 3, do_put },         { "get", 1, 1, do_get },
    { "ls", 0, 1, do_ls },           { "rm", 1, 1, do_rm },           { "run", 1, 2, do_run },
    { "restart", 0, 0, do_restart }, { "eval", 2, 2, do_eval },       { "describe", 0, 0, do_describe },
    { "safe-status", 0, 0, do_safe_status }, { "safe-clear", 0, 0, do_safe_clear },
    { "reset", 0, 0, do_reset },     { "mkdir", 1, 1, do_mkdir },     { "df", 0, 0, do_df },
    { "interrupt", 0, 0, do_interrupt },
};

/* `line` is a header without its marker and line end; it is split in place. */
static void handle_frame(char *line, size_t len)
{
    if (len + 2 > HEADER_MAX) {
        reply("-", "ERR bad-frame header longer than %d bytes", HEADER_MAX);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e) {
            reply("-", "ERR bad-frame a header must be printable ASCII");
            return;
        }
    }
    char *words[2 + ARGS_MAX + 1];
    int count = 0;
    for (char *word = line; count < (int)(sizeof words / sizeof *words); count++) {
        words[count] = word;
        char *space = strchr(word, ' ');
        if (space == NULL) {
            count++;
            break;
        }
        *space = '\0';
        word = space + 1;
    }
    if (!valid_tag(words[0])) {
        reply("-", "ERR bad-frame the tag must be 1 to 8 characters 0-9 a-z");
        return;
    }
    const char *tag = words[0];
    if (count < 2 || words[1][0] == '\0') {
        reply(tag, "ERR bad-frame no command");
        return;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++) {
        if (strcmp(words[1], COMMANDS[i].verb) != 0) {
            continue;
        }
        int argc = count - 2;
        bool too_many = count == (int)(sizeof words / sizeof *words);
        if (too_many || argc < COMMANDS[i].min_args || argc > COMMANDS[i].max_args) {
            reply(tag, "ERR bad-frame wrong number of arguments for %s", COMMANDS[i].verb);
            return;
        }
        char *args[ARGS_MAX + 1] = { 0 };
        for (int a = 0; a < argc; a++) {
            args[a] = words[2 + a];
        }
        COMMANDS[i].run(tag, args);
        return;
    }
    reply(tag, "ERR unknown-command unknown command '%.32s'", words[1]);
}

static void handle_line(char *line, size_t len)
{
    if (len > 0 && line[0] == MARKER) {
        handle_frame(line + 1, len - 1);
        return;
    }
    if (strspn(line, " \t") == len) {
        return;
    }
    char *source = malloc(len + 1);
    if (source == NULL) {
        say("console: error: out of memory");
        return;
    }
    memcpy(source, line, len + 1);
    submit("", source, len);
}

/* ---- the task ------------------------------------------------------------------------ */

static void console_task(void *arg)
{
    (void)arg;
    static char line[LINE_MAX_BYTES + 2]; /* the line, its CR, a NUL */
    size_t len = 0;
    bool overflow = false;
    for (;;) {
        int c = next_byte(-1);
        if (c == -2) {
            break;
        }
        if (c < 0) {
            continue;
        }
        if (s_con.discard > 0) { /* the rest of an abandoned payload */
            size_t skip = s_con.in_len - s_con.in_pos;
            skip = skip + 1 > s_con.discard ? s_con.discard - 1 : skip;
            s_con.in_pos += skip;
            s_con.discard -= skip + 1;
            continue;
        }
        if (c != '\n') {
            if (len < LINE_MAX_BYTES + 1) { /* + 1: room for the CR of a CRLF */
                line[len++] = (char)c;
            } else {
                overflow = true;
            }
            continue;
        }
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        overflow = overflow || len > LINE_MAX_BYTES;
        line[len] = '\0';
        if (overflow) {
            say("console: error: line longer than %d bytes discarded", LINE_MAX_BYTES);
        } else {
            handle_line(line, len);
        }
        len = 0;
        overflow = false;
    }
    /* Input ended (a host's stdin closed): let the app finish. A run that has not
     * started yet is stopped by the app (lua_sys_console_input_closed). */
    taskENTER_CRITICAL(&s_con.lock);
    s_con.input_closed = true;
    taskEXIT_CRITICAL(&s_con.lock);
    (void)lua_sys_stop();
    set_next_run("", "");
    vTaskDelete(NULL);
}

bool lua_sys_console_input_closed(void)
{
    taskENTER_CRITICAL(&s_con.lock);
    bool closed = s_con.input_closed;
    taskEXIT_CRITICAL(&s_con.lock);
    return closed;
}

bool lua_sys_console_next_run(lua_sys_exit_t ended, lua_sys_console_run_t *next)
{
    taskENTER_CRITICAL(&s_con.lock);
    s_con.runtime_running = false;
    taskEXIT_CRITICAL(&s_con.lock);
    drop_pending();
    /* Before the stopped token: a run that stopped this one answers after. */
    if (s_con.idle_tag[0] != '\0') {
        bool known = (unsigned)ended < sizeof RUN_ENDINGS / sizeof *RUN_ENDINGS;
        reply(s_con.idle_tag, "OK %s", known ? RUN_ENDINGS[ended] : RUN_ENDINGS[LUA_SYS_EXIT_ERROR]);
        s_con.idle_tag[0] = '\0';
    }
    uint8_t token = 1;
    xQueueSend(s_con.stopped, &token, 0); /* for request_run; one is enough */
    run_request_t run;
    if (xQueueReceive(s_con.runs, &run, portMAX_DELAY) != pdPASS || run.path[0] == '\0') {
        return false;
    }
    snprintf(next->script_path, sizeof next->script_path, "%s", run.path);
    next->exit_when_idle = run.idle_tag[0] != '\0';
    strcpy(s_con.idle_tag, run.idle_tag);
    taskENTER_CRITICAL(&s_con.lock);
    s_con.runtime_running = true;
    taskEXIT_CRITICAL(&s_con.lock);
    return true;
}

esp_err_t lua_sys_console_start(const lua_sys_console_config_t *config)
{
    if (config == NULL || config->io.read == NULL || config->io.write == NULL || config->fs_root == NULL ||
        config->boot_script == NULL || strlen(config->fs_root) > LUA_SYS_CONSOLE_FS_ROOT_MAX) {
        return ESP_ERR_INVALID_ARG;
    }
    if (s_con.started) {
        return ESP_ERR_INVALID_STATE;
    }
    esp_err_t err = lua_sys_init(); /* the queue SYS_CONSOLE goes into */
    if (err != ESP_OK) {
        return err;
    }
    s_con.config = *config;
    char dir[FULL_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", config->fs_root);
    remove_leftover_parts(dir);
    s_con.slot_free = xQueueCreate(1, sizeof(uint8_t));
    s_con.runs = xQueueCreate(1, sizeof(run_request_t));
    s_con.stopped = xQueueCreate(1, sizeof(uint8_t));
    if (s_con.slot_free == NULL || s_con.runs == NULL || s_con.stopped == NULL) {
        return ESP_ERR_NO_MEM;
    }
    uint8_t token = 1;
    xQueueSend(s_con.slot_free, &token, 0);
    s_con.runtime_running = true; /* the app runs the boot script next */
    s_con.started = true;
    char banner[64];
    int n = snprintf(banner, sizeof banner, "%s console ready (protocol %d)\r\n", LUA_SYS_VERSION,
                     PROTOCOL_VERSION);
    output_begin();
    output_bytes(banner, (size_t)n);
    output_end();
    if (xTaskCreate(console_task, "lua_console", config->task_stack_size, NULL, config->task_priority, NULL) !=
        pdPASS) {
        s_con.started = false;
        return ESP_ERR_NO_MEM;
    }
    return ESP_OK;
}
