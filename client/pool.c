/* SPDX-License-Identifier: MIT */
/* placeholder until the client helper lands */
#include "export.h"
