/*
 * exit_report.h - USLAB_STATS: the report of every cache at exit
 * (exit_report.c).
 */
#ifndef USLAB_EXIT_REPORT_H
#define USLAB_EXIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>

/* Registers the report at exit when USLAB_STATS asks for one (at start). */
void exit_report_init(void);
/* pattern with %p (pid), %e (program name), %% expanded into out;
 * false when it does not fit or is empty. */
bool exit_report_path(const char *pattern, char *out, size_t len);

#endif
