#!/bin/sh
# Runs passthrud under valgrind's memcheck for the 'valgrind' test suite: any invalid access or definite leak
# makes it exit 99, which the harness reports as a daemon that did not exit 0 on SIGTERM (with the log).
exec valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
	"$PT_PASSTHRUD_REAL" "$@"
