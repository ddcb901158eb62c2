#ifndef CRYOLEDGER_CCBC_SHIM_H
#define CRYOLEDGER_CCBC_SHIM_H
#include <coin/Cbc_C_Interface.h>
#endif
