#ifndef MASHUP_CLUA_SHIM_H
#define MASHUP_CLUA_SHIM_H

#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>

// Lua's API uses function-like macros and macro constants that Swift cannot import;
// each is re-exported here as a static inline function with the same meaning.

static inline int clua_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int clua_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline int clua_multret(void) { return LUA_MULTRET; }

static inline void clua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void clua_newtable(lua_State *L) { lua_newtable(L); }
static inline void clua_insert(lua_State *L, int idx) { lua_insert(L, idx); }
static inline void clua_remove(lua_State *L, int idx) { lua_remove(L, idx); }
static inline void clua_replace(lua_State *L, int idx) { lua_replace(L, idx); }

static inline lua_Number clua_tonumber(lua_State *L, int idx) { return lua_tonumberx(L, idx, NULL); }
static inline lua_Integer clua_tointeger(lua_State *L, int idx) { return lua_tointegerx(L, idx, NULL); }
static inline const char *clua_tostring(lua_State *L, int idx) { return lua_tolstring(L, idx, NULL); }

static inline int clua_isnoneornil(lua_State *L, int idx) { return lua_type(L, idx) <= 0; }
static inline int clua_isnil(lua_State *L, int idx) { return lua_type(L, idx) == LUA_TNIL; }
static inline int clua_istable(lua_State *L, int idx) { return lua_type(L, idx) == LUA_TTABLE; }
static inline int clua_isfunction(lua_State *L, int idx) { return lua_type(L, idx) == LUA_TFUNCTION; }

static inline void *clua_newuserdata(lua_State *L, size_t size) { return lua_newuserdatauv(L, size, 1); }
/// lua_gc(L, LUA_GCSTEP, kilobytes): the collector's debt grows as if Lua had allocated that much.
static inline int clua_gc_step(lua_State *L, int kilobytes) { return lua_gc(L, LUA_GCSTEP, kilobytes); }

static inline int clua_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}
static inline int clua_loadbuffer(lua_State *L, const char *buff, size_t size, const char *name) {
    return luaL_loadbufferx(L, buff, size, name, NULL);
}
static inline const char *clua_typename_at(lua_State *L, int idx) { return luaL_typename(L, idx); }
static inline const char *clua_version_string(void) { return LUA_RELEASE; }

#endif
