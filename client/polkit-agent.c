/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A text authentication agent for the length of one ptctl call, as systemctl does it: when an admin types a
 * changing command at a terminal and polkit wants a password, pkttyagent asks for it on that terminal. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "polkit-agent.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"

static pid_t agent_pid;

bool ptctl_polkit_agent_wanted(bool ask_password) {
        /* Root is never asked (passthrud lets uid 0 through without polkit); nor is a script without a terminal. */
        return ask_password && geteuid() != 0 && isatty(STDIN_FILENO);
}

static void agent_close(void) {
        if (agent_pid <= 0)
                return;
        kill(agent_pid, SIGTERM);
        while (waitpid(agent_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        agent_pid = 0;
}

int ptctl_polkit_agent_open(void) {
        if (agent_pid > 0 || access(PKTTYAGENT, X_OK) < 0)
                return 0; /* without pkttyagent a session's graphical agent may still answer */
        int notify[2];
        if (pipe2(notify, O_CLOEXEC) < 0)
                return -errno;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(notify[0]);
                close(notify[1]);
                return r;
        }
        if (pid == 0) {
                /* The notify end must survive exec; nothing else of ours should. */
                int fd = fcntl(notify[1], F_DUPFD, 3);
                if (fd < 0)
                        _exit(EXIT_FAILURE);
                char fd_arg[16], process_arg[32];
                snprintf(fd_arg, sizeof(fd_arg), "%d", fd);
                snprintf(process_arg, sizeof(process_arg), "%d", (int) parent);
                execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", fd_arg, "--fallback", "--process", process_arg,
                      (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        close(notify[1]);
        agent_pid = pid;
        atexit(agent_close);
        /* pkttyagent closes (or writes to) the notify fd once it is registered; the call must not race it. */
        char c;
        while (read(notify[0], &c, 1) < 0 && errno == EINTR)
                ;
        close(notify[0]);
        return 0;
}
