#include <stdio.h>
#include <stdlib.h>
int main(void) { printf("about to exit(3)\n"); exit(3); }
