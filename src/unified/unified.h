/*
 * unified.h - the unified personality: its method table (unified.c).
 * The cache layer reaches it only through that.
 */
#ifndef USLAB_UNIFIED_H
#define USLAB_UNIFIED_H

#include "core/personality.h"

extern const struct personality unified_personality;

#endif
