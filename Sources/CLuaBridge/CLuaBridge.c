#include "CLuaBridge.h"

#include <lauxlib.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int mm_trampoline(lua_State *L) {
    mm_native_fn fn = (mm_native_fn)lua_touserdata(L, lua_upvalueindex(1));
    int arguments = lua_gettop(L);
    int n = fn(L);
    if (n >= 0) return n;
    // The Swift frame has returned: raising here unwinds only C and Lua frames.
    switch (n) {
    case MM_RAISE_ARGUMENT:
        return luaL_argerror(L, (int)lua_tointeger(L, -2), lua_tostring(L, -1));
    case MM_RAISE_TYPE: {
        int arg = (int)lua_tointeger(L, -2);
        // An absent argument's slot now holds these codes: say "no value", as Lua would.
        if (arg > arguments)
            return luaL_argerror(L, arg, lua_pushfstring(L, "%s expected, got no value", lua_tostring(L, -1)));
        return luaL_typeerror(L, arg, lua_tostring(L, -1));
    }
    case MM_RAISE_VALUE:
        return lua_error(L);
    default:
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
        return lua_error(L);
    }
}

void mm_push_native_closure(lua_State *L, mm_native_fn fn, int n) {
    lua_pushlightuserdata(L, (void *)fn);
    lua_insert(L, -(n + 1));
    lua_pushcclosure(L, mm_trampoline, n + 1);
}

void mm_push_native(lua_State *L, mm_native_fn fn) { mm_push_native_closure(L, fn, 0); }

int mm_traceback_handler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        // A non-string error object: use its __tostring, or say what it is.
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int mm_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "mashup: unprotected Lua error: %s\n", msg ? msg : "(not a string)");
    fflush(stderr);
    abort();
}

void mm_install_panic(lua_State *L) { lua_atpanic(L, mm_panic); }

static lua_State *volatile mm_sigint_state = NULL;
static volatile sig_atomic_t mm_sigint_pending = 0;
static volatile sig_atomic_t mm_sigint_raised = 0;
static volatile sig_atomic_t mm_sigint_deferred = 0;

static void mm_stop_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    mm_sigint_raised = 1;
    luaL_error(L, "interrupted!");
}

#define MM_WORKER_SLOTS 256
static _Atomic(lua_State *) mm_workers[MM_WORKER_SLOTS];
/// CLOCK_MONOTONIC seconds of the pending press (clock_gettime is async-signal-safe).
static _Atomic double mm_sigint_time = 0;

static double mm_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void mm_worker_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (!mm_sigint_pending) {
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    if (mm_sigint_deferred && mm_now() - mm_sigint_time < 2.0) {
        lua_sethook(L, mm_worker_hook, LUA_MASKCOUNT, 100000);  // look again in a moment
        return;
    }
    lua_sethook(L, NULL, 0, 0);
    mm_sigint_raised = 1;
    luaL_error(L, "interrupted!");
}

static void mm_hook_worker(lua_State *L) {
    lua_sethook(L, mm_worker_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

int mm_worker_enter(lua_State *L) {
    for (int i = 0; i < MM_WORKER_SLOTS; i++) {
        lua_State *expected = NULL;
        if (atomic_compare_exchange_strong(&mm_workers[i], &expected, L)) {
            if (mm_sigint_pending) mm_hook_worker(L);
            return i;
        }
    }
    return -1;
}

void mm_worker_leave(int slot) {
    if (slot < 0 || slot >= MM_WORKER_SLOTS) return;
    lua_State *L = atomic_exchange(&mm_workers[slot], NULL);
    // A hook set by a press during the call goes with it (a stale one clears itself anyway).
    if (L != NULL) lua_sethook(L, NULL, 0, 0);
}

static void mm_sigint_action(int sig) {
    // A second Ctrl-C before the hook runs terminates the process, as lua.c's does.
    signal(sig, SIG_DFL);
    mm_sigint_time = mm_now();
    mm_sigint_pending = 1;
    if (mm_sigint_state != NULL && !mm_sigint_deferred)
        lua_sethook(mm_sigint_state, mm_stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
    for (int i = 0; i < MM_WORKER_SLOTS; i++) {
        lua_State *L = atomic_load(&mm_workers[i]);
        if (L != NULL) mm_hook_worker(L);
    }
}

void mm_install_sigint(lua_State *L) {
    mm_sigint_state = L;
    struct sigaction sa;
    sa.sa_handler = mm_sigint_action;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
}

void mm_restore_sigint(void) {
    signal(SIGINT, SIG_DFL);
    mm_sigint_state = NULL;
}

int mm_interrupt_pending(void) { return mm_sigint_pending; }
void mm_defer_interrupt(int deferred) { mm_sigint_deferred = deferred != 0; }
int mm_interrupt_raised(void) { return mm_sigint_raised; }

void mm_clear_interrupt(void) {
    mm_sigint_pending = 0;
    mm_sigint_raised = 0;
    if (mm_sigint_state != NULL) lua_sethook(mm_sigint_state, NULL, 0, 0);
}
