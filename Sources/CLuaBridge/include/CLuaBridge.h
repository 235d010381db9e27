#ifndef MASHUP_CLUABRIDGE_H
#define MASHUP_CLUABRIDGE_H

// The only C in mashup that raises Lua errors. Lua errors are longjmps; a longjmp must never
// cross a Swift frame, so Swift bindings return one of the codes below instead of raising,
// and the trampoline raises after the Swift frame has returned.

#include <lua.h>
#include <signal.h>

/// A Swift binding: returns the number of results it pushed, or a negative MM_RAISE_* code.
typedef int (*mm_native_fn)(lua_State *L);

enum {
    /// Stack top: a message. Raised as `chunk:line: message` (luaL_error's form).
    MM_RAISE_MESSAGE = -1,
    /// Stack top: a message; below it: the argument index. Raised as luaL_argerror does.
    MM_RAISE_ARGUMENT = -2,
    /// Stack top: the expected type name; below it: the argument index (luaL_typeerror).
    MM_RAISE_TYPE = -3,
    /// Stack top: any value, raised as it is.
    MM_RAISE_VALUE = -4,
};

/// Pushes a Lua C closure that calls `fn` through the trampoline.
void mm_push_native(lua_State *L, mm_native_fn fn);
/// Same, taking the `n` values on top of the stack as upvalues 2...n+1 (upvalue 1 holds `fn`).
void mm_push_native_closure(lua_State *L, mm_native_fn fn, int n);

/// The message handler for lua_pcall: adds a traceback to the error (as lua.c's msghandler).
int mm_traceback_handler(lua_State *L);

/// Lua's panic handler: prints the error and aborts cleanly instead of an unprotected longjmp.
void mm_install_panic(lua_State *L);

/// SIGINT: the handler installs a hook that raises "interrupted!" at the next Lua instruction
/// (as lua.c does). `mm_install_sigint` arms it for `L`; `mm_restore_sigint` puts back the default.
void mm_install_sigint(lua_State *L);
void mm_restore_sigint(void);
/// Non-zero once SIGINT arrived since the last `mm_clear_interrupt`; native loops poll it.
int mm_interrupt_pending(void);
/// With `deferred` non-zero, SIGINT only sets the pending flag (a training loop polls it to
/// finish its step and checkpoint); a second SIGINT still ends the process.
void mm_defer_interrupt(int deferred);
/// Non-zero when the last Lua error was the interrupt raised by the hook.
int mm_interrupt_raised(void);
void mm_clear_interrupt(void);

/// Worker states (a Lua augmentation running on a loader thread, in a state of its own) are
/// interrupted too: `mm_worker_enter` registers `L` for the length of one call and returns its
/// slot (-1 when all are taken: that call then only stops at the second Ctrl-C), and
/// `mm_worker_leave` removes it. While an interrupt is pending, a worker's Lua code raises
/// "interrupted!" at once, or, when the interrupt is deferred (a training step finishing),
/// once it has kept running 2 s after the press: a healthy augmentation finishes long before,
/// a stuck one is stopped.
int mm_worker_enter(lua_State *L);
void mm_worker_leave(int slot);

#endif
