#ifndef CRYOLEDGER_CZLIB_SHIM_H
#define CRYOLEDGER_CZLIB_SHIM_H
#include <zlib.h>
#endif
