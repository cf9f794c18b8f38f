/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* A process as a lease knows it: its start time in clock ticks since boot (/proc/PID/stat's 22nd field), which a
 * reused PID does not share; -ESRCH when there is no such process. */
int process_start_time(const char *proc_root, pid_t pid, uint64_t *ret);
/* Its name (/proc/PID/comm), malloc'd. */
int process_comm(const char *proc_root, pid_t pid, char **ret);
/* pidfd_open(2): a descriptor that becomes readable when the process ends. */
int process_pidfd(pid_t pid);
