/*
 * libFuzzer target: the console protocol core (components/lua_sys/src/lua_sys_console.c)
 * fed arbitrary bytes, as a host would send them: REPL lines, frame headers, upload
 * and eval payloads, bad CRCs, oversize lines, garbage, stalls and a disconnect.
 *
 * The core is #included so its static state can be reset between inputs and its
 * loop (console_task) runs in the fuzzer's thread. Around it:
 *   - a fake I/O over the input (chunk size and stalls chosen by the input),
 *   - a fake of the few FreeRTOS calls it makes (single-threaded: a wait on an
 *     empty queue is an immediate timeout),
 *   - a fake Lua loop that takes pending requests with rtos.console_read and
 *     answers them with rtos.console_reply (on a real lua_State),
 *   - a temporary directory as the filesystem root.
 *
 * Input: byte 0 = read chunk size (0 means 256), byte 1 = mode (see MODE_*),
 * then the byte stream. Invariants checked (abort() on violation):
 *   - every file system call that changes something stays inside the root;
 *   - an upload is renamed into place only when complete and CRC-verified: the
 *     renamed file's size and CRC-32 are those the OK reply (from the header) states;
 *   - every .part file is either renamed or deleted by the end of its put;
 *   - the output is well-formed: the banner, then replies `\x01<tag> <STATUS> ...\r\n`
 *     with a valid tag (or `-`), a known status and error code, DATA followed by
 *     exactly <size> bytes of that CRC, and `console: error: ...` lines;
 *   - nothing leaks (LeakSanitizer), no UB (UBSan), no memory error (ASan).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "lauxlib.h"
#include "lua.h"
#include "lua_sys.h"
#include "lua_sys_console.h"

/* ---- the file system calls the core makes, checked ----------------------------- */

static FILE *h_fopen(const char *path, const char *mode);
static int h_mkdir(const char *path, mode_t mode);
static int h_unlink(const char *path);
static int h_rmdir(const char *path);
static int h_rename(const char *from, const char *to);

#define fopen h_fopen
#define mkdir h_mkdir
#define unlink h_unlink
#define rmdir h_rmdir
#define rename h_rename
#include "lua_sys_console.c"
#undef fopen
#undef mkdir
#undef unlink
#undef rmdir
#undef rename

#define FAIL(...) \
    do { \
        fprintf(stderr, "fuzz_console: invariant violated: " __VA_ARGS__); \
        fputc('\n', stderr); \
        abort(); \
    } while (0)

static char s_base[256]; /* the temporary directory; the root is <base>/fs */
static char s_root[300];

/* A changed path must be <root>/<parts> with no empty, "." or ".." parts. */
static void check_inside(const char *what, const char *path)
{
    size_t n = strlen(s_root);
    if (strncmp(path, s_root, n) != 0 || path[n] != '/') {
        FAIL("%s outside the root: %s", what, path);
    }
    for (const char *part = path + n + 1;;) {
        size_t len = strcspn(part, "/");
        if (len == 0 || (len == 1 && part[0] == '.') || (len == 2 && part[0] == '.' && part[1] == '.')) {
            FAIL("%s of a path with an empty, . or .. part: %s", what, path);
        }
        if (part[len] == '\0') {
            break;
        }
        part += len + 1;
    }
}

/* The .part file of the put in progress: renamed or deleted before the next one. */
static char s_open_part[FULL_PATH_MAX + 8];

/* Renames, with what was renamed, to check against the OK that must follow. */
typedef struct {
    size_t out_at; /* output length at the rename */
    unsigned size;
    uint32_t crc;
} rename_t;
#define RENAMES_MAX 64
static rename_t s_renames[RENAMES_MAX];
static size_t s_rename_count;

static FILE *h_fopen(const char *path, const char *mode)
{
    if (strchr(mode, 'w') != NULL || strchr(mode, 'a') != NULL || strchr(mode, '+') != NULL) {
        check_inside("fopen for writing", path);
        if (s_open_part[0] != '\0') {
            FAIL("a new upload %s while %s was neither renamed nor deleted", path, s_open_part);
        }
        size_t n = strlen(path);
        if (n < 5 || strcmp(path + n - 5, ".part") != 0) {
            FAIL("an upload written to %s, not to a .part file", path);
        }
        FILE *f = fopen(path, mode);
        if (f != NULL) {
            snprintf(s_open_part, sizeof s_open_part, "%s", path);
        }
        return f;
    }
    return fopen(path, mode);
}

static int h_mkdir(const char *path, mode_t mode)
{
    check_inside("mkdir", path);
    return mkdir(path, mode);
}

static int h_unlink(const char *path)
{
    check_inside("unlink", path);
    if (strcmp(path, s_open_part) == 0) {
        s_open_part[0] = '\0';
    }
    return unlink(path);
}

static int h_rmdir(const char *path)
{
    check_inside("rmdir", path);
    return rmdir(path);
}

static size_t s_out_len;

static int h_rename(const char *from, const char *to)
{
    check_inside("rename from", from);
    check_inside("rename to", to);
    if (strcmp(from, s_open_part) != 0) {
        FAIL("rename of %s, not the upload in progress (%s)", from, s_open_part);
    }
    size_t n = strlen(to);
    if (strncmp(from, to, n) != 0 || strcmp(from + n, ".part") != 0) {
        FAIL("rename %s -> %s is not <path>.part -> <path>", from, to);
    }
    FILE *f = fopen(from, "rb");
    if (f == NULL) {
        FAIL("the upload %s to rename is gone", from);
    }
    uint8_t chunk[512];
    uint32_t crc = 0;
    size_t got, size = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        crc = crc32_update(crc, chunk, got);
        size += got;
    }
    fclose(f);
    int r = rename(from, to);
    if (r == 0) {
        s_open_part[0] = '\0';
        if (s_rename_count < RENAMES_MAX) {
            s_renames[s_rename_count++] =
                (rename_t){ .out_at = s_out_len, .size = (unsigned)size, .crc = crc };
        }
    }
    return r;
}

/* ---- fake FreeRTOS: single-threaded, a wait on an empty queue times out at once ---- */

struct QueueDefinition {
    size_t length, item_size, count, head;
    uint8_t *items;
};

QueueHandle_t xQueueCreate(UBaseType_t length, UBaseType_t item_size)
{
    struct QueueDefinition *q = calloc(1, sizeof *q);
    if (q == NULL) {
        return NULL;
    }
    q->length = length;
    q->item_size = item_size;
    q->items = calloc(length, item_size);
    if (q->items == NULL) {
        free(q);
        return NULL;
    }
    return q;
}

void vQueueDelete(QueueHandle_t q)
{
    if (q != NULL) {
        free(q->items);
        free(q);
    }
}

BaseType_t xQueueSend(QueueHandle_t q, const void *item, TickType_t ticks)
{
    (void)ticks;
    if (q->count == q->length) {
        return errQUEUE_FULL;
    }
    memcpy(q->items + ((q->head + q->count) % q->length) * q->item_size, item, q->item_size);
    q->count++;
    return pdPASS;
}

BaseType_t xQueueReceive(QueueHandle_t q, void *out, TickType_t ticks)
{
    (void)ticks;
    if (q->count == 0) {
        return pdFALSE;
    }
    memcpy(out, q->items + q->head * q->item_size, q->item_size);
    q->head = (q->head + 1) % q->length;
    q->count--;
    return pdPASS;
}

UBaseType_t uxQueueMessagesWaiting(QueueHandle_t q)
{
    return q->count;
}

void vPortEnterCritical(portMUX_TYPE *mux)
{
    (void)mux;
}

void vPortExitCritical(portMUX_TYPE *mux)
{
    (void)mux;
}

BaseType_t xTaskCreate(TaskFunction_t code, const char *name, uint32_t stack, void *arg, UBaseType_t prio,
                       TaskHandle_t *created)
{
    (void)code, (void)name, (void)stack, (void)arg, (void)prio, (void)created;
    return pdPASS; /* the harness runs console_task itself */
}

void vTaskDelete(TaskHandle_t task)
{
    (void)task;
}

void vTaskDelay(const TickType_t ticks)
{
    (void)ticks;
}

/* The `interrupt` verb's flag lives in the runtime, which this harness does not run. */
void luat_runtime_request_interrupt(void)
{
}

void luat_runtime_clear_interrupt(void)
{
}

/* `describe` passes the device's uptime to Lua; any value does here. */
int64_t luat_runtime_uptime_us(void)
{
    return 0;
}

/* The `reset` verb: the device restarts, which ends this input's run. */
static jmp_buf s_reset;

void esp_restart(void)
{
    longjmp(s_reset, 1);
}

/* ---- fake lua_sys: the queue the console posts SYS_CONSOLE into ------------------- */

enum {
    MODE_NO_RUNTIME = 0x01,  /* no script running at the start */
    MODE_LUA_MASK = 0x06,    /* how the Lua loop behaves: */
    MODE_LUA_OK = 0x00,      /*   takes requests, answers OK with the source as data */
    MODE_LUA_ERR = 0x02,     /*   takes requests, answers ERR with the source as message */
    MODE_LUA_SLOW = 0x04,    /*   never takes requests (busy) */
    MODE_POST_FAILS = 0x06,  /*   the message queue is full */
    MODE_STALL_SHIFT = 4,    /* bits 4..7: N, every (N+1)th read times out (0: never) */
};

static unsigned s_mode;
static lua_State *s_L;

esp_err_t lua_sys_init(void)
{
    return ESP_OK;
}

esp_err_t lua_sys_post(const char *name, const lua_sys_arg_t *args, size_t argc)
{
    if (strcmp(name, TOPIC) != 0 || args != NULL || argc != 0) {
        FAIL("unexpected post %s", name);
    }
    return (s_mode & MODE_LUA_MASK) == MODE_POST_FAILS ? ESP_ERR_NO_MEM : ESP_OK;
}

/* The runtime stops at once: the app then waits for the next run. */
esp_err_t lua_sys_stop(void)
{
    if (!s_con.runtime_running) {
        return ESP_ERR_INVALID_STATE;
    }
    lua_sys_console_run_t next;
    (void)lua_sys_console_next_run(LUA_SYS_EXIT_STOPPED, &next); /* no run queued: returns at once */
    return ESP_OK;
}

/* One turn of the Lua loop and of the app between runs. */
static void lua_step(void)
{
    if (uxQueueMessagesWaiting(s_con.runs) > 0) { /* the app starts the requested run */
        lua_sys_console_run_t next;
        if (!lua_sys_console_next_run(LUA_SYS_EXIT_OK, &next)) {
            FAIL("the console asked for an empty run while its input lasts");
        }
    }
    unsigned lua = s_mode & MODE_LUA_MASK;
    if (lua != MODE_LUA_OK && lua != MODE_LUA_ERR) {
        return;
    }
    int top = lua_gettop(s_L);
    lua_pushcfunction(s_L, lua_sys_console_lua_read);
    if (lua_pcall(s_L, 0, 2, 0) != LUA_OK) {
        FAIL("rtos.console_read raised: %s", lua_tostring(s_L, -1));
    }
    if (lua_type(s_L, -2) == LUA_TSTRING) { /* a tool's request: answer it */
        lua_pushcfunction(s_L, lua_sys_console_lua_reply);
        lua_pushvalue(s_L, -3);
        lua_pushboolean(s_L, lua == MODE_LUA_OK);
        lua_pushvalue(s_L, -4);
        if (lua_pcall(s_L, 3, 1, 0) != LUA_OK || !lua_toboolean(s_L, -1)) {
            FAIL("rtos.console_reply failed");
        }
    }
    lua_settop(s_L, top);
}

/* ---- fake I/O -------------------------------------------------------------------- */

static struct {
    const uint8_t *data;
    size_t len, pos, chunk;
    unsigned reads, stall_every;
} s_in;

static uint8_t *s_out;
static size_t s_out_cap;

static int fake_read(void *ctx, uint8_t *buf, size_t len, int timeout_ms)
{
    (void)ctx, (void)timeout_ms;
    lua_step();
    if (s_in.pos == s_in.len) {
        return -1; /* disconnect */
    }
    if (s_in.stall_every != 0 && ++s_in.reads % s_in.stall_every == 0) {
        return 0; /* a timeout */
    }
    size_t n = s_in.len - s_in.pos;
    n = n < s_in.chunk ? n : s_in.chunk;
    n = n < len ? n : len;
    memcpy(buf, s_in.data + s_in.pos, n);
    s_in.pos += n;
    return (int)n;
}

static void fake_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    if (s_out_len + len > s_out_cap) {
        size_t cap = s_out_cap ? s_out_cap : 4096;
        while (cap < s_out_len + len) {
            cap *= 2;
        }
        s_out = realloc(s_out, cap);
        if (s_out == NULL) {
            abort();
        }
        s_out_cap = cap;
    }
    memcpy(s_out + s_out_len, buf, len);
    s_out_len += len;
}

/* ---- the output's shape ------------------------------------------------------------ */

static bool known_code(const char *code, size_t n)
{
    static const char *const codes[] = { "bad-frame", "unknown-command", "bad-path", "not-found", "too-large",
                                         "crc", "timeout", "io", "busy", "no-runtime", "lua" };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        if (strlen(codes[i]) == n && memcmp(codes[i], code, n) == 0) {
            return true;
        }
    }
    return false;
}

static void check_output(void)
{
    static const char banner[] = LUA_SYS_VERSION " console ready (protocol 1)\r\n";
    const char *out = (const char *)s_out;
    if (s_out_len < sizeof banner - 1 || memcmp(out, banner, sizeof banner - 1) != 0) {
        FAIL("the output does not start with the banner");
    }
    size_t pos = sizeof banner - 1;
    size_t next_rename = 0;
    while (pos < s_out_len) {
        const char *line = out + pos;
        const char *eol = memmem(line, s_out_len - pos, "\r\n", 2);
        if (eol == NULL) {
            FAIL("output without a line end at %zu", pos);
        }
        size_t n = (size_t)(eol - line);
        size_t next = pos + n + 2;
        if (n == 0 || line[0] != MARKER) {
            static const char said[] = "console: error: ";
            if (n < sizeof said - 1 || memcmp(line, said, sizeof said - 1) != 0) {
                FAIL("a line that is neither a reply nor a console error: %.*s", (int)n, line);
            }
        } else {
            if (n > HEADER_MAX + 64) {
                FAIL("a reply of %zu bytes", n);
            }
            char header[HEADER_MAX + 64 + 1];
            memcpy(header, line + 1, n - 1);
            header[n - 1] = '\0';
            char *status = strchr(header, ' ');
            if (status == NULL) {
                FAIL("a reply without a status: %s", header);
            }
            *status++ = '\0';
            if (strcmp(header, "-") != 0 && !valid_tag(header)) {
                FAIL("a reply with the tag '%s'", header);
            }
            char *args = strchr(status, ' ');
            if (args != NULL) {
                *args++ = '\0';
            }
            while (next_rename < s_rename_count && s_renames[next_rename].out_at < pos) {
                FAIL("a rename not followed by its OK");
            }
            if (next_rename < s_rename_count && s_renames[next_rename].out_at == pos) {
                char expect[32];
                snprintf(expect, sizeof expect, "%u %08x", s_renames[next_rename].size,
                         (unsigned)s_renames[next_rename].crc);
                if (strcmp(status, "OK") != 0 || args == NULL || strcmp(args, expect) != 0) {
                    FAIL("upload renamed with size/crc %s, then the reply %s %s", expect, status,
                         args ? args : "");
                }
                next_rename++;
            }
            if (strcmp(status, "DATA") == 0) {
                unsigned size, crc;
                char end;
                if (args == NULL || sscanf(args, "%u %8x%c", &size, &crc, &end) != 2) {
                    FAIL("a DATA reply with arguments '%s'", args ? args : "");
                }
                if (next + size > s_out_len) {
                    FAIL("DATA of %u bytes cut short", size);
                }
                if (crc32_update(0, s_out + next, size) != crc) {
                    FAIL("DATA whose CRC is not %08x", crc);
                }
                next += size;
            } else if (strcmp(status, "ERR") == 0) {
                if (args == NULL || !known_code(args, strcspn(args, " "))) {
                    FAIL("an ERR with an unknown code: %s", args ? args : "");
                }
            } else if (strcmp(status, "OK") != 0 && strcmp(status, "READY") != 0) {
                FAIL("a reply with the status '%s'", status);
            }
        }
        pos = next;
    }
    if (next_rename < s_rename_count) {
        FAIL("a rename not followed by its OK");
    }
}

/* ---- setup and one input ---------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    return ftw->level == 0 ? 0 : remove(path);
}

static void clean_root(void)
{
    nftw(s_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_base(void)
{
    clean_root();
    rmdir(s_root);
    rmdir(s_base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tmp = getenv("LUASYS_FUZZ_TMP");
    if (tmp == NULL) {
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    }
    snprintf(s_base, sizeof s_base, "%s/luasys-fuzz-console-XXXXXX", tmp);
    if (mkdtemp(s_base) == NULL) {
        perror("mkdtemp");
        abort();
    }
    snprintf(s_root, sizeof s_root, "%s/fs", s_base);
    if (mkdir(s_root, 0755) != 0) {
        perror("mkdir");
        abort();
    }
    atexit(remove_base);
    s_L = luaL_newstate();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    s_in.chunk = data[0] ? data[0] : 256;
    s_mode = data[1];
    s_in.stall_every = s_mode >> MODE_STALL_SHIFT ? (s_mode >> MODE_STALL_SHIFT) + 1 : 0; /* always progress */
    s_in.data = data + 2;
    s_in.len = size - 2;
    s_in.pos = 0;
    s_in.reads = 0;
    s_out_len = 0;
    s_rename_count = 0;
    s_open_part[0] = '\0';
    clean_root();
    /* a file and a directory to find, replace and remove */
    char path[FULL_PATH_MAX];
    snprintf(path, sizeof path, "%s/main.lua", s_root);
    FILE *f = fopen(path, "wb");
    if (f != NULL) {
        fputs("print('hi')\n", f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/lib", s_root);
    mkdir(path, 0755);

    memset(&s_con, 0, sizeof s_con);
    char boot[FULL_PATH_MAX];
    snprintf(boot, sizeof boot, "%s/main.lua", s_root);
    lua_sys_console_config_t config = {
        .io = { .read = fake_read, .write = fake_write, .ctx = NULL },
        .fs_root = s_root,
        .boot_script = boot,
        .task_stack_size = 4096,
        .task_priority = 1,
    };
    if (lua_sys_console_start(&config) != ESP_OK) {
        FAIL("lua_sys_console_start failed");
    }
    if (s_mode & MODE_NO_RUNTIME) {
        s_con.runtime_running = false;
    }
    if (setjmp(s_reset) == 0) {
        console_task(NULL);
    }
    if (s_open_part[0] != '\0') {
        FAIL("the upload %s was neither renamed nor deleted", s_open_part);
    }
    /* The app after the input ended: the console asks for no further run. */
    lua_sys_console_run_t next;
    if (lua_sys_console_next_run(LUA_SYS_EXIT_STOPPED, &next)) {
        FAIL("a run requested after the input ended");
    }
    check_output();
    vQueueDelete(s_con.slot_free);
    vQueueDelete(s_con.runs);
    vQueueDelete(s_con.stopped);
    lua_settop(s_L, 0);
    return 0;
}
