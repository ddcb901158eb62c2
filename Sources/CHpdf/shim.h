#ifndef CRYOLEDGER_CHPDF_SHIM_H
#define CRYOLEDGER_CHPDF_SHIM_H
#include <hpdf.h>
#endif
