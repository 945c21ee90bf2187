#ifndef TRY_BANNED_H
#define TRY_BANNED_H

/*
 * Functions that are too easy to misuse: unbounded copies and hidden static
 * state.  Included into every translation unit by the Makefile, so a use is a
 * compile error (git's banned.h).  System headers come first.
 */
#include <string.h>
#include <stdio.h>
#include <time.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)

#endif
