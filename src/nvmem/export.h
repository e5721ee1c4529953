/* export.h -- everything is hidden (-fvisibility=hidden) except the API. */
#ifndef NVMEM_EXPORT_H
#define NVMEM_EXPORT_H
#define NVM_EXPORT __attribute__((visibility("default")))
#endif
