/* Placeholder CLI (replaced by the full one). */
#include <stdio.h>
#include "lapis.h"
int main(void) { fputs(lapis_build_info(), stdout); return 0; }
