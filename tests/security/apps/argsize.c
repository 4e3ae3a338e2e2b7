/* Prints its argc, the total size of its arguments and of its environment, and an FNV-1a
   hash of each, so that a test can check megabytes of them arrived whole. */
#include <stdio.h>
#include <string.h>

extern char **environ;

static unsigned long long fnv(unsigned long long h, const char *s) {
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

int main(int argc, char **argv) {
    unsigned long long ha = 14695981039346656037ULL, he = ha;
    size_t na = 0, ne = 0;
    for (int i = 1; i < argc; i++) { na += strlen(argv[i]); ha = fnv(ha, argv[i]); }
    for (char **e = environ; *e; e++) { ne += strlen(*e); he = fnv(he, *e); }
    printf("argc=%d args=%zu %016llx env=%zu %016llx\n", argc, na, ha, ne, he);
    return 0;
}
