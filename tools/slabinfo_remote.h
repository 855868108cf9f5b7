/*
 * slabinfo_remote.h - slabinfo -p: a running process's caches as a raw
 * report (slabinfo_remote.c).
 */
#ifndef SLABINFO_REMOTE_H
#define SLABINFO_REMOTE_H

#include <stdio.h>
#include <sys/types.h>

/* Writes the raw report of process pid to out; -1 with a message on
 * stderr when it cannot be read. */
int remote_report(pid_t pid, FILE *out);

#endif
