/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Whether a changing call may wait for a password typed at this terminal (not for root, not without a tty). */
bool ptctl_polkit_agent_wanted(bool ask_password);

/* Starts pkttyagent for this process and waits until it is registered; it is stopped at exit. */
int ptctl_polkit_agent_open(void);
