#include <stdio.h>
#include <editline/readline.h>

// libedit's readline globals are mutable C variables, which Swift 6 does not let code touch
// directly; the REPL sets them once, on its own thread, through these wrappers.
static inline void cedit_set_completion(rl_completion_func_t *complete) {
    rl_attempted_completion_function = complete;
    rl_completion_append_character = '\0';
}

/// Called inside the completion function: no fallback to file-name completion.
static inline void cedit_completion_over(void) { rl_attempted_completion_over = 1; }
