#ifndef PLATFORM_CARGON2_SHIM_H
#define PLATFORM_CARGON2_SHIM_H
#include <argon2.h>
#endif
