/* A minimal test harness for the host port: CHECK aborts the test program
 * with the failing expression; main() runs each test in order. */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1); \
        } \
    } while (0)

#define RUN(test) \
    do { \
        test(); \
        printf("ok %s\n", #test); \
    } while (0)
