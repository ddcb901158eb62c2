#ifndef CRYOLEDGER_CZINT_SHIM_H
#define CRYOLEDGER_CZINT_SHIM_H
#include <zint.h>
#endif
