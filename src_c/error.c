/* error.c — error codes and the thread-local error message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ptdalgorithms.h"

static _Thread_local char last_error[1024];

int ptd_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}

const char *ptd_last_error(void) { return last_error; }

void ptd_format_state(char *buf, size_t bufsize, const int32_t *state, size_t state_length)
{
    size_t used = 0;
    if (bufsize == 0)
        return;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, bufsize, " [");
    for (size_t i = 0; i < state_length && used < bufsize; i++)
        used += (size_t)snprintf(buf + used, bufsize - used, i ? ", %d" : "%d", (int)state[i]);
    if (used < bufsize)
        snprintf(buf + used, bufsize - used, "]");
}
