/* SPDX-License-Identifier: MIT */
/* placeholder until the server module lands */
#include "export.h"
