/* wildjump with non-canonical targets: the branch itself faults (#GP). */
#define NONCANONICAL 1
#include "wildjump.c"
