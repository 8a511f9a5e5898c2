/*
 * main - mmfix command dispatch (placeholder while the commands land)
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mmfix: no commands yet\n");
    return 64;
}
